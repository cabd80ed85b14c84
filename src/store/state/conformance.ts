/**
 * The one conformance suite every state store adapter must pass (memory and Redis run the same
 * cases). Limit cases pass an explicit `nowMs` so the arithmetic is checked exactly, without
 * sleeping; TTL cases use short real TTLs (the only way to observe expiry in Redis).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LimitCheck, StateStore } from './types.js'

/** How the suite obtains a store; `skip` (a reason) skips everything, loudly. */
export interface ConformanceTarget {
  name: string
  open: () => Promise<StateStore>
  skip?: string | false
}

/** Registers the conformance suite for one adapter. */
export function runStateStoreConformance(target: ConformanceTarget): void {
  describe(`state store conformance: ${target.name}`, { skip: target.skip || false }, () => {
    let store: StateStore
    const run = randomBytes(4).toString('hex')
    let n = 0
    const key = (label: string): string => `conf:${run}:${label}:${++n}`
    // Near real time so store TTLs derived from it stay sane; moves forward only.
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 1000

    before(async () => {
      store = await target.open()
    })
    after(async () => {
      await store?.close()
    })

    it('GCRA admits the burst, then one unit per emission interval', async () => {
      const check: LimitCheck = { key: key('gcra'), algorithm: 'gcra', limit: 10, windowMs: 1000 }
      for (let i = 0; i < 10; i++) {
        const [r] = await store.consume([check], t0)
        assert.deepEqual(r, { allowed: true, limit: 10, remaining: 9 - i, resetMs: 100 * (i + 1), retryAfterMs: 0, delayMs: 0 })
      }
      const [refused] = await store.consume([check], t0)
      assert.equal(refused?.allowed, false)
      assert.equal(refused?.remaining, 0)
      assert.equal(refused?.retryAfterMs, 100)
      assert.equal((await store.consume([check], t0 + 99))[0]?.allowed, false)
      assert.equal((await store.consume([check], t0 + 100))[0]?.allowed, true)
      // A full window later the bucket is full again.
      assert.equal((await store.consume([check], t0 + 1100))[0]?.remaining, 9)
    })

    it('GCRA with a small burst smooths to the rate and throttles up to maxDelayMs', async () => {
      const check: LimitCheck = { key: key('throttle'), algorithm: 'gcra', limit: 100, windowMs: 1000, burst: 1, maxDelayMs: 1990 }
      for (let i = 0; i < 200; i++) {
        const [r] = await store.consume([check], t0)
        assert.equal(r?.allowed, true, `request ${i}`)
        assert.equal(r?.delayMs, 10 * i, `request ${i}`)
      }
      const [over] = await store.consume([check], t0)
      assert.equal(over?.allowed, false)
      assert.equal(over?.retryAfterMs, 10)
    })

    it('sliding window is exact: never more than limit in any window', async () => {
      const check: LimitCheck = { key: key('sliding'), algorithm: 'sliding-window', limit: 5, windowMs: 60_000 }
      for (let i = 0; i < 3; i++) assert.equal((await store.consume([check], t0))[0]?.allowed, true)
      for (let i = 0; i < 2; i++) assert.equal((await store.consume([check], t0 + 10_000))[0]?.remaining, 1 - i)
      const [refused] = await store.consume([check], t0 + 30_000)
      assert.deepEqual(refused, { allowed: false, limit: 5, remaining: 0, resetMs: 40_000, retryAfterMs: 30_000, delayMs: 0 })
      assert.equal((await store.consume([check], t0 + 59_999))[0]?.allowed, false)
      // The three entries of t0 leave the window together.
      const [r] = await store.consume([check], t0 + 60_000)
      assert.equal(r?.allowed, true)
      assert.equal(r?.remaining, 2)
    })

    it('sliding window throttles by queueing behind expiring entries', async () => {
      const check: LimitCheck = { key: key('sliding-throttle'), algorithm: 'sliding-window', limit: 10, windowMs: 1000, maxDelayMs: 1000 }
      const delays: number[] = []
      for (let i = 0; i < 20; i++) delays.push((await store.consume([check], t0))[0]?.delayMs ?? -1)
      assert.deepEqual(delays, [...Array(10).fill(0), ...Array(10).fill(1000)])
      assert.equal((await store.consume([check], t0))[0]?.allowed, false)
    })

    it('is all-or-nothing across limits', async () => {
      const wide: LimitCheck = { key: key('wide'), algorithm: 'gcra', limit: 100, windowMs: 60_000 }
      const narrow: LimitCheck = { key: key('narrow'), algorithm: 'sliding-window', limit: 2, windowMs: 60_000 }
      for (let i = 0; i < 2; i++) assert.ok((await store.consume([wide, narrow], t0)).every((r) => r.allowed))
      const refused = await store.consume([wide, narrow], t0)
      assert.deepEqual(refused.map((r) => r.allowed), [true, false])
      // The wide limit was not charged for the refused call.
      assert.equal(refused[0]?.remaining, 98)
      assert.equal(refused[0]?.delayMs, 0)
      assert.equal((await store.consume([wide], t0))[0]?.remaining, 97)
    })

    it('charges cost and refuses a cost larger than the limit', async () => {
      for (const algorithm of ['gcra', 'sliding-window'] as const) {
        const check: LimitCheck = { key: key(`cost-${algorithm}`), algorithm, limit: 5, windowMs: 1000, cost: 3 }
        assert.equal((await store.consume([check], t0))[0]?.remaining, 2, algorithm)
        const [again] = await store.consume([check], t0)
        assert.equal(again?.allowed, false, algorithm)
        assert.equal(again?.remaining, 2, algorithm)
        const [huge] = await store.consume([{ ...check, cost: 6 }], t0)
        assert.equal(huge?.allowed, false, algorithm)
        assert.ok((huge?.retryAfterMs ?? 0) > 0, algorithm)
      }
    })

    it('admits exactly the limit under concurrent calls', async () => {
      for (const algorithm of ['gcra', 'sliding-window'] as const) {
        const check: LimitCheck = { key: key(`race-${algorithm}`), algorithm, limit: 100, windowMs: 3_600_000 }
        const results = await Promise.all(Array.from({ length: 500 }, () => store.consume([check])))
        assert.equal(results.filter(([r]) => r?.allowed).length, 100, algorithm)
      }
    })

    it('uses its own clock when nowMs is omitted', async () => {
      const check: LimitCheck = { key: key('clock'), algorithm: 'sliding-window', limit: 1, windowMs: 60_000 }
      assert.equal((await store.consume([check]))[0]?.allowed, true)
      const [refused] = await store.consume([check])
      assert.equal(refused?.allowed, false)
      assert.ok((refused?.retryAfterMs ?? 0) > 55_000 && (refused?.retryAfterMs ?? 0) <= 60_000)
    })

    it('setIfAbsent sets once and expires', async () => {
      const k = key('nonce')
      assert.equal(await store.setIfAbsent(k, 'a', 60), true)
      assert.equal(await store.setIfAbsent(k, 'b', 60), false)
      assert.equal(await store.get(k), 'a')
      await sleep(120)
      assert.equal(await store.get(k), null)
      assert.equal(await store.setIfAbsent(k, 'c', 60_000), true)
    })

    it('get, set and delete with and without TTL', async () => {
      const k = key('kv')
      assert.equal(await store.get(k), null)
      await store.set(k, 'banned')
      assert.equal(await store.get(k), 'banned')
      await store.set(k, 'short', 60)
      await sleep(120)
      assert.equal(await store.get(k), null)
      await store.set(k, 'again', 60_000)
      await store.delete(k)
      assert.equal(await store.get(k), null)
      await store.delete(k)
    })

    it('increment counts within a fixed window from the first increment', async () => {
      const k = key('counter')
      assert.equal(await store.increment(k, 1, 80), 1)
      assert.equal(await store.increment(k, 2, 80), 3)
      await sleep(160)
      assert.equal(await store.increment(k, 1, 60_000), 1)
    })

    it('acquire and release concurrency leases', async () => {
      const k = key('lease')
      const a = await store.acquire(k, 2, 60_000)
      const b = await store.acquire(k, 2, 60_000)
      assert.ok(a && b && a !== b)
      assert.equal(await store.acquire(k, 2, 60_000), null)
      await store.release(k, a)
      const c = await store.acquire(k, 2, 60_000)
      assert.ok(c)
      await store.release(k, 'unknown-lease')
      assert.equal(await store.acquire(k, 2, 60_000), null)
      const racing = await Promise.all(Array.from({ length: 50 }, () => store.acquire(key('lease-race'), 7, 60_000)))
      assert.equal(racing.filter(Boolean).length, 50, 'distinct keys each admit')
      const shared = key('lease-shared')
      const same = await Promise.all(Array.from({ length: 50 }, () => store.acquire(shared, 7, 60_000)))
      assert.equal(same.filter(Boolean).length, 7)
    })

    it('frees a lease that was never released once its TTL passes', async () => {
      const k = key('lease-ttl')
      assert.ok(await store.acquire(k, 1, 60))
      assert.equal(await store.acquire(k, 1, 60), null)
      await sleep(120)
      assert.ok(await store.acquire(k, 1, 60_000))
    })

    it('answers ping', async () => {
      await store.ping()
    })
  })
}
