import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { runStateStoreConformance } from './conformance.js'
import { createRedisStateStore, type RedisStateStore } from './redis.js'
import { createResilientStateStore, type BreakerState } from './resilient.js'
import { isStateStoreUnavailable } from './errors.js'
import { openStateStore } from './open.js'
import { createMemoryStateStore } from './memory.js'
import { redisSkipReason, startPrivateRedis, testRedisUrl, type PrivateRedis } from './test-redis.js'
import type { LimitCheck } from './types.js'

const url = testRedisUrl()
const skip = await redisSkipReason(url)
const prefix = (): string => `test:${randomBytes(6).toString('hex')}:`

runStateStoreConformance({ name: 'redis', skip, open: () => createRedisStateStore(url, { keyPrefix: prefix() }) })

describe('redis state store specifics', { skip }, () => {
  let store: RedisStateStore
  before(async () => {
    store = await createRedisStateStore(url, { keyPrefix: prefix() })
  })
  after(async () => {
    await store?.close()
  })

  it('reports unavailability through openStateStore as a resilient store', async () => {
    const opened = await openStateStore(url, { redis: { keyPrefix: prefix() } })
    assert.equal(opened.kind, 'redis')
    assert.equal((opened as { degraded?: boolean }).degraded, false)
    await opened.ping()
    await opened.close()
  })
})

describe('redis consume batching', { skip }, () => {
  let store: RedisStateStore
  const keyPrefix = prefix()
  before(async () => {
    store = await createRedisStateStore(url, { keyPrefix })
  })
  after(async () => {
    await store?.close()
  })

  it('answers the calls of one turn with one EVALSHA, exactly as the memory store answers them one by one', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000
    const specs: Omit<LimitCheck, 'key'>[] = [
      { algorithm: 'gcra', limit: 5, windowMs: 1000, burst: 3 },
      { algorithm: 'sliding-window', limit: 4, windowMs: 10_000, cost: 2 },
      { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 1, maxDelayMs: 250 },
      { algorithm: 'sliding-window', limit: 3, windowMs: 1000, maxDelayMs: 500 },
    ]
    // 60 calls over four keys, one or two limits each, the clock moving on by 0-40 ms per call.
    const calls = Array.from({ length: 60 }, (_, i) => {
      const first = specs[i % 4] as Omit<LimitCheck, 'key'>
      const checks: LimitCheck[] = [{ ...first, key: `batch:${i % 4}` }]
      if (i % 3 === 0) checks.push({ ...(specs[(i + 1) % 4] as Omit<LimitCheck, 'key'>), key: `batch:${(i + 1) % 4}` })
      return { checks, nowMs: t0 + Math.floor(i / 2) * 20 * (i % 3) }
    })
    calls.sort((a, b) => a.nowMs - b.nowMs)
    // Then one call per key in a later batch: it must see the state the first batch left (GCRA
    // writes are deferred to the end of a batch, one per key).
    const lastNow = (calls.at(-1) as { nowMs: number }).nowMs
    const followUps = specs.map((spec, i) => ({ checks: [{ ...spec, key: `batch:${i}` }], nowMs: lastNow + 5 }))
    const memory = createMemoryStateStore()
    const expected = []
    for (const c of calls) expected.push(await memory.consume(c.checks, c.nowMs))
    const expectedFollowUps = []
    for (const c of followUps) expectedFollowUps.push(await memory.consume(c.checks, c.nowMs))
    await memory.close()

    const sent: string[] = []
    const send = store.client.sendCommand.bind(store.client)
    store.client.sendCommand = (command, stream) => {
      sent.push(command.name)
      return send(command, stream)
    }
    try {
      const actual = await Promise.all(calls.map((c) => store.consume(c.checks, c.nowMs)))
      assert.deepEqual(sent, ['evalsha'])
      assert.deepEqual(actual, expected)
      assert.ok(actual.some((r) => r.some((l) => !l.allowed)) && actual.some((r) => r.some((l) => l.delayMs > 0)), 'the mix refuses and delays some')
      assert.deepEqual(await Promise.all(followUps.map((c) => store.consume(c.checks, c.nowMs))), expectedFollowUps)
      assert.deepEqual(sent, ['evalsha', 'evalsha'])
    } finally {
      store.client.sendCommand = send
    }
  })

  it('a Redis error on one key fails only that call of the batch', async () => {
    await store.client.hset(`${keyPrefix}wrongtype`, 'f', 'v')
    const settled = await Promise.allSettled([
      store.consume([{ key: 'fine:1', algorithm: 'gcra', limit: 5, windowMs: 1000 }]),
      store.consume([{ key: 'wrongtype', algorithm: 'gcra', limit: 5, windowMs: 1000 }]),
      store.consume([{ key: 'fine:2', algorithm: 'sliding-window', limit: 5, windowMs: 1000 }]),
    ])
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled'])
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /WRONGTYPE/)
  })

  it('a GCRA state that is not a number fails that call, never resets the limit', async () => {
    await store.client.set(`${keyPrefix}garbage`, 'not a number')
    const settled = await Promise.allSettled([
      store.consume([{ key: 'garbage', algorithm: 'gcra', limit: 5, windowMs: 1000 }]),
      store.consume([{ key: 'fine:3', algorithm: 'gcra', limit: 5, windowMs: 1000 }]),
    ])
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'fulfilled'])
    assert.match(String((settled[0] as PromiseRejectedResult).reason), /not a number/)
    assert.equal(await store.client.get(`${keyPrefix}garbage`), 'not a number')
  })
})

/** Our own redis-server, so killing it cannot disturb anyone else. */
describe('redis state store outage and recovery', { skip }, () => {
  let redis: PrivateRedis | null = null
  before(async () => {
    redis = await startPrivateRedis()
  })
  after(async () => {
    await redis?.kill()
  })

  it('checks several limits in one round trip (exactly one EVALSHA per consume)', async (t) => {
    if (redis === null) return t.skip('redis-server binary not found')
    const store = await createRedisStateStore(redis.url)
    const checks: LimitCheck[] = [
      { key: 'rt:a', algorithm: 'gcra', limit: 10, windowMs: 1000 },
      { key: 'rt:b', algorithm: 'sliding-window', limit: 1000, windowMs: 3_600_000 },
      { key: 'rt:c', algorithm: 'gcra', limit: 5, windowMs: 60_000 },
    ]
    await store.consume(checks)
    // Count what the client sends (round trips) and what the server saw as EVALSHA.
    const sent: string[] = []
    const send = store.client.sendCommand.bind(store.client)
    store.client.sendCommand = (command, stream) => {
      sent.push(command.name)
      return send(command, stream)
    }
    await store.client.config('RESETSTAT')
    sent.length = 0
    for (let i = 0; i < 20; i++) await store.consume(checks)
    assert.deepEqual(sent, Array(20).fill('evalsha'))
    assert.equal(commandCalls(await store.client.info('commandstats')).evalsha, 20)
    await store.close()
  })

  it('reloads scripts after SCRIPT FLUSH (NOSCRIPT → SCRIPT LOAD → retry)', async (t) => {
    if (redis === null) return t.skip('redis-server binary not found')
    const store = await createRedisStateStore(redis.url)
    const check: LimitCheck = { key: 'noscript', algorithm: 'gcra', limit: 3, windowMs: 60_000 }
    assert.equal((await store.consume([check]))[0]?.remaining, 2)
    await store.client.script('FLUSH')
    assert.equal((await store.consume([check]))[0]?.remaining, 1)
    assert.equal(await store.increment('noscript:n', 1, 60_000), 1)
    await store.close()
  })

  it('fails calls on a hung Redis within the command timeout, batched and auto-pipelined alike, and recovers', async (t) => {
    if (redis === null) return t.skip('redis-server binary not found')
    const store = await createRedisStateStore(redis.url, { commandTimeoutMs: 200 })
    const check: LimitCheck = { key: 'hung', algorithm: 'gcra', limit: 1000, windowMs: 60_000 }
    assert.equal((await store.consume([check]))[0]?.allowed, true)
    redis.pause()
    try {
      const start = performance.now()
      const first = [store.consume([check]), store.get('hung:a'), store.set('hung:b', 'x', 60_000)]
      // A second turn: its commands queue behind the first turn's unanswered ones.
      await new Promise((resolve) => setImmediate(resolve))
      const second = [store.consume([check]), store.setIfAbsent('hung:c', 'x', 60_000), store.get('hung:d')]
      const settled = await Promise.allSettled([...first, ...second])
      const elapsedMs = performance.now() - start
      assert.deepEqual(settled.map((s) => s.status), Array(6).fill('rejected'))
      for (const s of settled) assert.match(String((s as PromiseRejectedResult).reason), /timed out/i)
      // At most two timeouts back to back (a queued pipeline starts its clock when it is sent).
      assert.ok(elapsedMs >= 190 && elapsedMs < 2_000, `${elapsedMs} ms`)
    } finally {
      redis.resume()
    }
    assert.equal((await store.consume([check]))[0]?.allowed, true)
    assert.equal(await store.setIfAbsent('hung:e', 'x', 60_000), true)
    assert.equal(await store.get('hung:e'), 'x')
    await store.close()
  })

  it('fails fast while Redis is down, never throws anything else, and recovers', async (t) => {
    if (redis === null) return t.skip('redis-server binary not found')
    const states: BreakerState[] = []
    const inner = await createRedisStateStore(redis.url, { commandTimeoutMs: 200 })
    const store = createResilientStateStore(inner, { failureThreshold: 3, openMs: 100, onStateChange: (s) => states.push(s) })
    const check: LimitCheck = { key: 'outage', algorithm: 'gcra', limit: 1000, windowMs: 60_000 }
    assert.equal((await store.consume([check]))[0]?.allowed, true)

    await redis.kill()
    let failures = 0
    for (let i = 0; i < 200; i++) {
      try {
        await store.consume([check])
      } catch (error) {
        assert.ok(isStateStoreUnavailable(error), String(error))
        failures++
      }
    }
    assert.equal(failures, 200)
    assert.equal(store.degraded, true)
    // With the breaker open, a failed call costs no I/O: measure the mean (generous bound).
    const start = process.hrtime.bigint()
    for (let i = 0; i < 1000; i++) await store.consume([check]).catch(() => undefined)
    const meanMs = Number(process.hrtime.bigint() - start) / 1e6 / 1000
    assert.ok(meanMs < 1, `mean ${meanMs} ms per call while open`)

    await redis.start()
    // Recovery is automatic: ioredis reconnects, the next half-open probe succeeds.
    let recovered = false
    for (let i = 0; i < 200 && !recovered; i++) {
      try {
        await store.consume([check])
        recovered = true
      } catch {
        await sleep(25)
      }
    }
    assert.ok(recovered, 'store recovered after Redis came back')
    assert.equal(store.degraded, false)
    assert.deepEqual(states.slice(0, 2), ['open', 'half-open'])
    assert.equal(states.at(-1), 'closed')
    await store.close()
  })
})

/** Top-level command call counts from INFO commandstats (commands run by scripts not included). */
function commandCalls(info: string): Record<string, number> {
  const calls: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2])
  return calls
}
