/**
 * Redis stopped during load and started again: the gateway keeps answering per onStoreError
 * (allow → 200, deny → 503 + Retry-After), never crashes or returns 5xx otherwise, logs the
 * degradation, and enforces limits again once Redis is back. Uses a private redis-server on an
 * ephemeral port (the shared one is never touched).
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { startUpstream } from '../../../test/helpers/gateway.js'
import { startPrivateRedis, type PrivateRedis } from '../../store/state/test-redis.js'
import { startRateLimitedGateway } from './e2e/gateway-fixture.js'

let redis: PrivateRedis | null = null
let upstream: Awaited<ReturnType<typeof startUpstream>>
const gateways: Awaited<ReturnType<typeof startRateLimitedGateway>>[] = []

before(async () => {
  redis = await startPrivateRedis()
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
})
after(async () => {
  await Promise.all(gateways.map((g) => g.stop()))
  await upstream?.close()
  await redis?.kill()
})

async function status(url: string): Promise<number> {
  const res = await request(url)
  await res.body.dump()
  return res.statusCode
}

it('keeps answering per onStoreError while Redis is down, and recovers', { timeout: 60_000 }, async (t) => {
  if (redis === null) return t.skip('redis-server binary not found')
  const limit = { limits: [{ name: 'five', key: ['route'], limit: 5, window: '1m', algorithm: 'sliding-window' }] }
  const breaker = { failureThreshold: 3, openMs: 200 }
  const allow = await startRateLimitedGateway({ upstreamUrl: upstream.url, state: redis.url, keyPrefix: 'a:', breaker, rateLimit: limit })
  const deny = await startRateLimitedGateway({ upstreamUrl: upstream.url, state: redis.url, keyPrefix: 'd:', breaker, rateLimit: { ...limit, onStoreError: 'deny' } })
  gateways.push(allow, deny)

  const before = await Promise.all(Array.from({ length: 6 }, () => status(`${allow.url}/x`)))
  assert.deepEqual(before.sort(), [200, 200, 200, 200, 200, 429])

  // Load runs across the outage: 8 workers sending back-to-back to both gateways.
  const seen = { allow: [] as number[], deny: [] as number[] }
  let running = true
  const load = Array.from({ length: 8 }, async () => {
    while (running) {
      seen.allow.push(await status(`${allow.url}/load`))
      seen.deny.push(await status(`${deny.url}/load`))
    }
  })
  await sleep(100)
  await redis.kill()
  const killedAt = seen.allow.length
  while (seen.allow.length < killedAt + 200) await sleep(20)
  const during = { allow: seen.allow.slice(killedAt + 20), deny: seen.deny.slice(killedAt + 20) }
  // Fail open: every request passes (the limit of 5 is not enforced while Redis is gone).
  assert.deepEqual([...new Set(during.allow)], [200])
  // Fail closed: 503 (ERR_STORE_UNAVAILABLE), nothing else.
  assert.deepEqual([...new Set(during.deny)], [503])
  const refused = await request(`${deny.url}/x`)
  assert.equal(refused.statusCode, 503)
  assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/)
  assert.equal(((await refused.body.json()) as { code: string }).code, 'ERR_STORE_UNAVAILABLE')

  await redis.start()
  // Recovery is automatic: once Redis answers, the limit bites again (fresh Redis, empty window).
  const restartedAt = seen.allow.length
  // Each gateway's breaker probes on its own schedule: wait until both enforce limits again.
  const recovered = (): boolean => seen.allow.slice(restartedAt).includes(429) && seen.deny.slice(restartedAt).includes(429)
  for (let i = 0; i < 1000 && !recovered(); i++) await sleep(20)
  running = false
  await Promise.all(load)
  assert.ok(seen.allow.slice(restartedAt).includes(429), 'limits enforced again after recovery')
  assert.ok(seen.deny.slice(restartedAt).includes(429), 'deny gateway recovered too')
  for (const s of [...seen.allow, ...seen.deny]) assert.ok([200, 429, 503].includes(s), `unexpected status ${s}`)
  assert.ok(!seen.allow.includes(503), 'allow gateway never refused for the outage')
  assert.match(allow.log.text(), /state store unavailable, requests allowed/)
  assert.match(deny.log.text(), /state store unavailable, requests denied/)
})
