import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isStateStoreUnavailable } from './errors.js'
import { createMemoryStateStore } from './memory.js'
import { createResilientStateStore, type BreakerState } from './resilient.js'
import type { StateStore } from './types.js'

/** A memory store whose calls fail while `down` is set, counting the calls that reach it. */
function flaky(): { store: StateStore; down: boolean; reached: number } {
  const inner = createMemoryStateStore()
  const handle = { down: false, reached: 0, store: inner }
  handle.store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function' || prop === 'close') return value
      return (...args: unknown[]) => {
        handle.reached++
        if (handle.down) return Promise.reject(new Error('connect ECONNREFUSED'))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return handle
}

describe('resilient state store (circuit breaker)', () => {
  it('opens after N failures, fails fast without touching the store, probes, and recovers', async () => {
    let now = 0
    const states: BreakerState[] = []
    const f = flaky()
    const store = createResilientStateStore(f.store, { failureThreshold: 3, openMs: 1000, now: () => now, onStateChange: (s) => states.push(s) })
    f.down = true
    for (let i = 0; i < 3; i++) await assert.rejects(store.get('k'), isStateStoreUnavailable)
    assert.equal(store.breakerState, 'open')
    assert.equal(store.degraded, true)
    const reached = f.reached
    for (let i = 0; i < 100; i++) {
      await assert.rejects(store.get('k'), (e: unknown) => isStateStoreUnavailable(e) && e.retryAfterMs === 1000)
    }
    assert.equal(f.reached, reached, 'open breaker does no I/O')
    now += 1000
    // Half-open probe fails: open again for another openMs.
    await assert.rejects(store.get('k'))
    assert.equal(f.reached, reached + 1)
    assert.equal(store.breakerState, 'open')
    now += 1000
    f.down = false
    assert.equal(await store.get('k'), null)
    assert.equal(store.breakerState, 'closed')
    assert.deepEqual(states, ['open', 'half-open', 'open', 'half-open', 'closed'])
    await store.close()
  })

  it('lets only one probe through while half-open', async () => {
    let now = 0
    const f = flaky()
    const store = createResilientStateStore(f.store, { failureThreshold: 1, openMs: 10, now: () => now })
    f.down = true
    await assert.rejects(store.get('k'))
    now = 10
    f.down = false
    const results = await Promise.allSettled([store.get('a'), store.get('b'), store.get('c')])
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected'])
    assert.equal(store.breakerState, 'closed')
  })

  it('a success resets the consecutive-failure count', async () => {
    const f = flaky()
    const store = createResilientStateStore(f.store, { failureThreshold: 2 })
    f.down = true
    await assert.rejects(store.get('k'))
    f.down = false
    await store.get('k')
    f.down = true
    await assert.rejects(store.get('k'))
    assert.equal(store.breakerState, 'closed')
  })

  it('times out a hung call when timeoutMs is set', async () => {
    const hung: StateStore = { ...createMemoryStateStore(), get: () => new Promise(() => undefined) }
    const store = createResilientStateStore(hung, { timeoutMs: 20, failureThreshold: 1 })
    await assert.rejects(store.get('k'), /timed out/)
    assert.equal(store.breakerState, 'open')
    await hung.close()
  })
})
