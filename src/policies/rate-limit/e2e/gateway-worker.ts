/**
 * Child process of the multi-process exactness test: starts one gateway sharing the test's Redis,
 * prints `{"url": ...}` on stdout, and stops when stdin closes.
 */
import { startRateLimitedGateway } from './gateway-fixture.js'

const gw = await startRateLimitedGateway({
  upstreamUrl: process.env.UPSTREAM_URL ?? '',
  state: process.env.STATE_URL ?? '',
  keyPrefix: process.env.KEY_PREFIX ?? '',
  rateLimit: JSON.parse(process.env.RATE_LIMIT ?? '{}') as Record<string, unknown>,
})
process.stdout.write(`${JSON.stringify({ url: gw.url })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  gw.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
