import { after, describe, it } from 'node:test'
import type { IncomingMessage, ServerResponse } from 'node:http'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseList } from 'structured-headers'
import { RequestContext } from '../../core/context.js'
import type { Rejection } from '../../core/types.js'
import { openDataStore } from '../../store/data/open.js'
import { StateStoreUnavailableError } from '../../store/state/errors.js'
import { createMemoryStateStore } from '../../store/state/memory.js'
import type { StateStore } from '../../store/state/types.js'
import type { QuotaCounter } from './quota.js'
import { createRateLimitHandler, type RateLimitDeps } from './rate-limit.js'
import type { RateLimitConfig } from './schema.js'
import { startPolicyServer, testDeps, type PolicyServer } from './test-server.js'

/** 2030-01-15 10:00:00 UTC: 14 h until the daily quota resets. */
const T0 = Date.UTC(2030, 0, 15, 10, 0, 0)

function mapCounter(): QuotaCounter & { totals: Map<string, number> } {
  const totals = new Map<string, number>()
  return {
    totals,
    async incrementQuota(subject, periodStart, by) {
      const k = `${subject}@${periodStart}`
      const total = (totals.get(k) ?? 0) + by
      totals.set(k, total)
      return total
    },
  }
}

const servers: PolicyServer[] = []
after(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

async function setup(config: Partial<RateLimitConfig>, over: Partial<RateLimitDeps> = {}, clock?: { now: number }) {
  const base = testDeps()
  const state = over.state ?? createMemoryStateStore(clock ? { now: () => clock.now } : {})
  const deps: RateLimitDeps = { logger: base.logger, metrics: base.metrics, state, data: over.data ?? mapCounter(), ...over }
  const handler = createRateLimitHandler(config as RateLimitConfig, deps, clock ? { now: () => clock.now } : {})
  const server = await startPolicyServer(handler)
  servers.push(server)
  return { server, deps, lines: base.lines }
}

const get = (server: PolicyServer, headers: Record<string, string> = {}, path = '/'): Promise<Response> =>
  fetch(server.url + path, { headers: { 'x-test-consumer': 'c1', 'x-test-key': 'k1', ...headers } })

describe('rate-limit policy', () => {
  it('sends draft-syntax RateLimit-Policy and RateLimit on admitted responses', async () => {
    const clock = { now: T0 }
    const { server } = await setup({ limits: [{ key: ['consumer'], limit: 3, window: '1m', algorithm: 'sliding-window' }] }, {}, clock)
    const res = await get(server)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('ratelimit-policy'), '"3-per-60s";q=3;w=60')
    assert.equal(res.headers.get('ratelimit'), '"3-per-60s";r=2;t=60')
    // Both parse as RFC 8941 Lists of sf-string items with integer parameters.
    const [item] = parseList(res.headers.get('ratelimit') ?? '')
    assert.equal(item?.[0], '3-per-60s')
    assert.equal(item?.[1].get('r'), 2)
  })

  it('answers 429 with Retry-After exact to the second and the violated policy', async () => {
    const clock = { now: T0 }
    const { server } = await setup({ limits: [{ name: 'per-minute', key: ['consumer'], limit: 2, window: '1m', algorithm: 'sliding-window' }] }, {}, clock)
    assert.equal((await get(server)).status, 200)
    clock.now += 10_000
    assert.equal((await get(server)).status, 200)
    clock.now += 2_300
    const res = await get(server)
    assert.equal(res.status, 429)
    // The first entry (at T0) leaves the window at T0 + 60 s: 47.7 s from now, rounded up.
    assert.equal(res.headers.get('retry-after'), '48')
    assert.equal(res.headers.get('ratelimit'), '"per-minute";r=0;t=48')
    assert.equal(res.headers.get('ratelimit-policy'), '"per-minute";q=2;w=60')
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body.code, 'ERR_RATE_LIMITED')
    assert.equal(body.status, 429)
    assert.deepEqual(body['violated-policies'], ['per-minute'])
    clock.now = T0 + 60_000
    assert.equal((await get(server)).status, 200)
  })

  it('applies several limits per route, all-or-nothing (burst per second and an hourly cap)', async () => {
    const clock = { now: T0 }
    const { server } = await setup(
      {
        limits: [
          { name: 'burst', key: ['consumer'], limit: 10, window: '1s', burst: 5, algorithm: 'gcra' },
          { name: 'hourly', key: ['consumer'], limit: 8, window: '1h', algorithm: 'sliding-window' },
        ],
      },
      {},
      clock,
    )
    for (let i = 0; i < 5; i++) assert.equal((await get(server)).status, 200)
    const burst = await get(server)
    assert.equal(burst.status, 429)
    assert.equal(burst.headers.get('retry-after'), '1')
    assert.equal(burst.headers.get('ratelimit-policy'), '"burst";q=10;w=1, "hourly";q=8;w=3600')
    assert.match(burst.headers.get('ratelimit') ?? '', /^"burst";r=0;t=1, "hourly";r=3;t=3600$/)
    clock.now += 1000
    for (let i = 0; i < 3; i++) assert.equal((await get(server)).status, 200)
    const hourly = await get(server)
    assert.equal(hourly.status, 429)
    assert.equal(hourly.headers.get('retry-after'), '3599')
  })

  it('keys by ip, header and combinations; anonymous callers fall back to their IP', async () => {
    const clock = { now: T0 }
    const { server } = await setup(
      {
        limits: [
          { name: 'per-ip', key: ['ip'], limit: 2, window: '1m', algorithm: 'gcra' },
          { name: 'per-client-route', key: ['header:x-client', 'route'], limit: 1, window: '1m', algorithm: 'gcra' },
        ],
      },
      {},
      clock,
    )
    const anon = (ip: string, client: string) => fetch(server.url, { headers: { 'x-test-ip': ip, 'x-client': client } })
    assert.equal((await anon('10.0.0.1', 'a')).status, 200)
    assert.equal((await anon('10.0.0.1', 'a')).status, 429, 'same client header')
    assert.equal((await anon('10.0.0.1', 'b')).status, 200)
    assert.equal((await anon('10.0.0.1', 'c')).status, 429, 'ip limit of 2 reached')
    assert.equal((await anon('10.0.0.2', 'c')).status, 200)
  })

  it("applies the key's own rateLimit override instead of the route's per-key limit", async () => {
    const clock = { now: T0 }
    const { server } = await setup({ limits: [{ name: 'per-key', key: ['key'], limit: 100, window: '1m', algorithm: 'gcra' }] }, {}, clock)
    const limited = { 'x-test-limits': JSON.stringify({ rateLimit: { limit: 1, windowMs: 30_000 } }) }
    const first = await get(server, limited)
    assert.equal(first.headers.get('ratelimit-policy'), '"per-key";q=1;w=30')
    assert.equal((await get(server, limited)).status, 429)
    assert.equal((await get(server, { 'x-test-key': 'k2' })).status, 200, 'other keys keep the route limit')
  })

  it('enforces calendar quotas with the reset time in the headers', async () => {
    const clock = { now: T0 }
    const data = mapCounter()
    const { server } = await setup({ quota: { limit: 2, period: 'day', key: ['key'], onStoreError: 'deny' } }, { data }, clock)
    const ok = await get(server)
    assert.equal(ok.headers.get('ratelimit-policy'), '"quota-day";q=2;w=86400')
    assert.equal(ok.headers.get('ratelimit'), '"quota-day";r=1;t=50400')
    assert.equal((await get(server)).status, 200)
    const refused = await get(server)
    assert.equal(refused.status, 429)
    assert.equal(((await refused.json()) as { code: string }).code, 'ERR_QUOTA_EXCEEDED')
    assert.equal(refused.headers.get('retry-after'), '50400')
    assert.equal(data.totals.get(`key:k1@${Date.UTC(2030, 0, 15)}`), 2, 'refused requests are not counted')
    clock.now = Date.UTC(2030, 0, 16)
    assert.equal((await get(server)).status, 200, 'next UTC day')
  })

  it('keeps quota counts across a restart (durable data store)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-quota-'))
    try {
      const clock = { now: Date.UTC(2030, 4, 20, 12) }
      const url = `sqlite:${join(dir, 'data.db')}`
      const config: Partial<RateLimitConfig> = { quota: { limit: 3, period: 'month', key: ['consumer'], onStoreError: 'deny' } }
      const data1 = await openDataStore(url)
      const first = await setup(config, { data: data1 }, clock)
      for (let i = 0; i < 2; i++) assert.equal((await get(first.server)).status, 200)
      await data1.close()
      const data2 = await openDataStore(url)
      const second = await setup(config, { data: data2 }, clock)
      const res = await get(second.server)
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('ratelimit'), `"quota-month";r=0;t=${(Date.UTC(2030, 5, 1) - clock.now) / 1000}`)
      assert.equal((await get(second.server)).status, 429)
      await data2.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('caps in-flight requests with 503 + Retry-After and frees the slot on response', async () => {
    const { server } = await setup({ concurrency: { max: 2, key: ['route'], leaseTtl: '60s' } })
    const held = [get(server, {}, '/slow'), get(server, {}, '/slow')]
    // Wait until both are inside (holding their lease) before the third arrives.
    let third: Response | undefined
    for (let i = 0; i < 200; i++) {
      third = await get(server)
      if (third.status === 503) break
    }
    assert.equal(third?.status, 503)
    assert.equal(third?.headers.get('retry-after'), '1')
    assert.equal(((await third?.json()) as { code: string }).code, 'ERR_CONCURRENCY_LIMITED')
    server.releaseSlow()
    assert.deepEqual((await Promise.all(held)).map((r) => r.status), [200, 200])
    assert.equal((await get(server)).status, 200)
  })

  it('throttle mode smooths a burst of 200 at 100/s to about two seconds with no 429', async () => {
    const { server } = await setup({ mode: 'throttle', maxDelay: '3s', limits: [{ key: ['consumer'], limit: 100, window: '1s', algorithm: 'gcra' }] })
    const start = performance.now()
    const statuses = await Promise.all(Array.from({ length: 200 }, () => get(server).then((r) => r.status)))
    const elapsedMs = performance.now() - start
    assert.deepEqual(new Set(statuses), new Set([200]))
    // 199 intervals of 10 ms: ~1.99 s. The lower bound proves smoothing; the upper one is generous
    // because a loaded 2-core CI machine adds its own delay (precise timing is in the benchmark).
    assert.ok(elapsedMs > 1800 && elapsedMs < 10_000, `${elapsedMs} ms`)
  })

  it('throttle mode refuses what would wait longer than maxDelay', async () => {
    const clock = { now: T0 }
    const { server } = await setup({ mode: 'throttle', maxDelay: 250, limits: [{ name: 'smooth', key: ['consumer'], limit: 10, window: '1s', algorithm: 'gcra' }] }, {}, clock)
    const statuses = await Promise.all(Array.from({ length: 6 }, () => get(server).then((r) => r.status)))
    // Delays 0, 100, 200 ms pass; 300 ms and beyond exceed maxDelay.
    assert.deepEqual(statuses.sort(), [200, 200, 200, 429, 429, 429])
  })

  it('onStoreError allow: lets traffic through, logs and counts the degradation', async () => {
    const { server, deps, lines } = await setup({ limits: [{ key: ['consumer'], limit: 1, window: '1m', algorithm: 'gcra' }] }, { state: deadStore() })
    for (let i = 0; i < 3; i++) assert.equal((await get(server)).status, 200)
    assert.equal(lines.length, 1, 'one throttled warning')
    assert.match(lines[0] ?? '', /state store unavailable, requests allowed/)
    const metric = await deps.metrics.decisions.get()
    assert.equal(metric.values.find((v) => v.labels.decision === 'store-error-allow')?.value, 3)
  })

  it('onStoreError deny: 503 with Retry-After; quotas deny by default', async () => {
    const denied = await setup({ onStoreError: 'deny', limits: [{ key: ['consumer'], limit: 1, window: '1m', algorithm: 'gcra' }] }, { state: deadStore() })
    const res = await get(denied.server)
    assert.equal(res.status, 503)
    assert.equal(res.headers.get('retry-after'), '2')
    assert.equal(((await res.json()) as { code: string }).code, 'ERR_STORE_UNAVAILABLE')
    const failingData: QuotaCounter = { incrementQuota: () => Promise.reject(new Error('database is locked')) }
    const quota = await setup({ quota: { limit: 5, period: 'day', key: ['key'], onStoreError: 'deny' } }, { data: failingData })
    assert.equal((await get(quota.server)).status, 503)
  })
})

describe('rate-limit policy on an in-process store', () => {
  /** A request context with no socket: the header fields for the response are in `ctx.responseHeaders`. */
  function bareContext(): { ctx: RequestContext; sent: Record<string, string> } {
    const res = { headersSent: false, once: () => res, off: () => res } as unknown as ServerResponse
    const ctx = new RequestContext({ id: 'r', req: { headers: {}, method: 'GET' } as IncomingMessage, res, path: '/', rawQuery: '', clientIp: '10.1.1.1', secure: false, maxBodyBytes: 1, bodyTimeoutMs: 1 })
    ctx.route = { name: 'r1' }
    return { ctx, sent: ctx.responseHeaders }
  }
  const isPromise = (value: unknown): boolean => typeof (value as Promise<unknown> | null)?.then === 'function'

  it('decides synchronously when nothing else has to wait (no promise per request)', () => {
    const base = testDeps()
    const deps: RateLimitDeps = { logger: base.logger, metrics: base.metrics, state: createMemoryStateStore({ now: () => T0 }), data: mapCounter() }
    const handler = createRateLimitHandler({ limits: [{ name: 'per-ip', key: ['ip'], limit: 2, window: '1m' }] } as RateLimitConfig, deps)
    const { ctx, sent } = bareContext()
    assert.equal(handler.onRequest(ctx), null)
    assert.equal(sent['ratelimit-policy'], '"per-ip";q=2;w=60')
    assert.equal(sent['ratelimit'], '"per-ip";r=1;t=30')
    assert.equal(handler.onRequest(ctx), null)
    const refused = handler.onRequest(ctx)
    assert.ok(!isPromise(refused))
    assert.equal((refused as Rejection).code, 'ERR_RATE_LIMITED')
    assert.equal((refused as Rejection).headers?.['ratelimit'], '"per-ip";r=0;t=30')
  })

  it('waits (returns a promise) for a quota, a lease or a throttle delay', async () => {
    const base = testDeps()
    const deps: RateLimitDeps = { logger: base.logger, metrics: base.metrics, state: createMemoryStateStore(), data: mapCounter() }
    const limits = [{ name: 'per-ip', key: ['ip'], limit: 100, window: '1s', algorithm: 'gcra' }]
    const configs = [
      { limits, quota: { limit: 5, period: 'day', key: ['key'], onStoreError: 'deny' } },
      { limits, concurrency: { max: 5, key: ['route'], leaseTtl: '60s' } },
      { mode: 'throttle', maxDelay: '1s', limits },
    ]
    for (const config of configs) {
      const handler = createRateLimitHandler(config as RateLimitConfig, deps)
      const { ctx } = bareContext()
      const first = handler.onRequest(ctx)
      const second = handler.onRequest(ctx)
      // Throttling holds only a request that has to wait: the first passes at once.
      assert.equal(isPromise(second), true, JSON.stringify(config))
      assert.equal(await first, null)
      assert.equal(await second, null)
      handler.onResponse?.(ctx, 200)
    }
  })
})

/** A store whose every call fails as the breaker would report it. */
function deadStore(): StateStore {
  const fail = (): Promise<never> => Promise.reject(new StateStoreUnavailableError('state store unavailable (circuit open)', 1500))
  return { kind: 'dead', ping: fail, close: async () => undefined, consume: fail, setIfAbsent: fail, get: fail, set: fail, delete: fail, increment: fail, acquire: fail, release: fail }
}
