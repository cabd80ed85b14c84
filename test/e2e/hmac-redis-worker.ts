/**
 * Child process of `hmac-redis.test.ts`: one gateway whose `/v1/transfers` route requires an
 * RFC 9421 signature (`hmac` policy), with nonces in the shared Redis (under KEY_PREFIX, so
 * parallel test files cannot collide) and credentials in a SQLite file other workers open too.
 *
 * env: UPSTREAM_URL, STATE_URL, KEY_PREFIX, DATA_PATH (SQLite file), HOME_DIR (shared, so every
 * worker unseals HMAC secrets with the same secret key).
 * stdout: first line `{"url","adminUrl"}`, then one `{"event": ...}` line per policy rejection
 * (the precise reason never reaches the client, so the test reads it here). Stops when stdin ends.
 */
import { openDataStore } from '../../src/store/data/open.js'
import { openStateStore } from '../../src/store/state/open.js'
import { startGateway } from '../helpers/gateway.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`hmac-redis worker: ${name} is required`)
  return value
}

const state = await openStateStore(env('STATE_URL'), { redis: { keyPrefix: env('KEY_PREFIX'), commandTimeoutMs: 2000 } })
const data = await openDataStore(`sqlite:${env('DATA_PATH')}`)
const gw = await startGateway(
  {
    upstreams: { app: { url: env('UPSTREAM_URL'), connectTimeout: '5s', responseTimeout: '10s' } },
    routes: [{ name: 'transfers', match: { path: '/v1/transfers', methods: ['POST'] }, upstream: 'app', policies: [{ name: 'hmac' }] }],
    policies: [],
  },
  { stores: { state, data }, home: env('HOME_DIR') },
)
gw.gateway.events.subscribe((event) => {
  if (event.action === 'reject') process.stdout.write(`${JSON.stringify({ event })}\n`)
})
process.stdout.write(`${JSON.stringify({ url: gw.url, adminUrl: gw.adminUrl })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  gw.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
