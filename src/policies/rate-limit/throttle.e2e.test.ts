/**
 * Throttling through the real gateway: a burst of 200 against 100/s with a max delay that allows
 * it finishes in about two seconds with no 429; RateLimit headers reach the client.
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'undici'
import { startUpstream } from '../../../test/helpers/gateway.js'
import { startRateLimitedGateway } from './e2e/gateway-fixture.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startRateLimitedGateway>>

before(async () => {
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
  gw = await startRateLimitedGateway({
    upstreamUrl: upstream.url,
    state: 'memory',
    rateLimit: { mode: 'throttle', maxDelay: '3s', limits: [{ name: 'smooth', key: ['route'], limit: 100, window: '1s' }] },
  })
  // Warm the gateway up (first requests compile code paths), then let the bucket refill.
  for (let i = 0; i < 5; i++) await (await request(`${gw.url}/warm`)).body.dump()
  await new Promise((resolve) => setTimeout(resolve, 100))
})
after(async () => {
  await gw.stop()
  await upstream.close()
})

it('a burst of 200 at 100/s is smoothed over ~2 s with no 429', { timeout: 30_000 }, async () => {
  const agent = new Agent({ connections: 250 })
  try {
    const start = performance.now()
    const responses = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await request(`${gw.url}/x`, { dispatcher: agent })
        await res.body.dump()
        return { status: res.statusCode, policy: res.headers['ratelimit-policy'], at: performance.now() - start }
      }),
    )
    const elapsedMs = performance.now() - start
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]))
    assert.equal(responses[0]?.policy, '"smooth";q=100;w=1')
    // 199 emission intervals of 10 ms = 1.99 s; generous upper bound for slow machines.
    assert.ok(elapsedMs >= 1900 && elapsedMs < 10_000, `finished in ${Math.round(elapsedMs)} ms`)
    // Smoothed, not bunched: the last answers come near the end, not all at once.
    const lastQuarter = responses.filter((r) => r.at >= elapsedMs * 0.75).length
    assert.ok(lastQuarter < 150, `${lastQuarter} of 200 answered in the last quarter`)
  } finally {
    await agent.close()
  }
})

it('a 429 from the gateway carries Retry-After and the RateLimit fields', { timeout: 30_000 }, async () => {
  const strict = await startRateLimitedGateway({
    upstreamUrl: upstream.url,
    state: 'memory',
    rateLimit: { limits: [{ name: 'strict', key: ['ip'], limit: 1, window: '10s', algorithm: 'sliding-window' }] },
  })
  try {
    const first = await request(`${strict.url}/z`)
    await first.body.dump()
    assert.equal(first.statusCode, 200)
    assert.equal(first.headers['ratelimit'], '"strict";r=0;t=10')
    const refused = await request(`${strict.url}/z`)
    assert.equal(refused.statusCode, 429)
    // Ten seconds after the first request, rounded up to whole seconds (10 unless >1 s passed).
    assert.match(String(refused.headers['retry-after']), /^(9|10)$/)
    assert.equal(refused.headers['ratelimit-policy'], '"strict";q=1;w=10')
    assert.equal(refused.headers['ratelimit'], `"strict";r=0;t=${String(refused.headers['retry-after'])}`)
    const body = (await refused.body.json()) as { code: string; status: number }
    assert.equal(body.code, 'ERR_RATE_LIMITED')
    assert.equal(body.status, 429)
  } finally {
    await strict.stop()
  }
})
