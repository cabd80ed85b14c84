import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { runStateStoreConformance } from './conformance.js'
import { createMemoryStateStore } from './memory.js'
import { openStateStore } from './open.js'

runStateStoreConformance({ name: 'memory', open: async () => createMemoryStateStore() })

describe('memory state store specifics', () => {
  it('stays bounded: evicts the oldest key beyond maxEntries', async () => {
    const store = createMemoryStateStore({ maxEntries: 100 })
    for (let i = 0; i < 250; i++) await store.set(`k${i}`, 'v', 60_000)
    assert.equal(store.size, 100)
    assert.equal(await store.get('k0'), null)
    assert.equal(await store.get('k249'), 'v')
    await store.close()
  })

  it('sweeps expired keys on its timer', async () => {
    let now = 1_000_000
    const store = createMemoryStateStore({ now: () => now, sweepIntervalMs: 5 })
    for (let i = 0; i < 50; i++) await store.setIfAbsent(`n${i}`, 'x', 1000)
    await store.consume([{ key: 'rl', algorithm: 'gcra', limit: 10, windowMs: 1000 }])
    assert.equal(store.size, 51)
    now += 2000
    // Wait for the sweeper by polling its observable effect rather than a fixed sleep.
    while (store.size > 0) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.equal(store.size, 0)
    await store.close()
  })

  it('answers consumeSync at once, exactly as consume, and throws after close', async () => {
    const sync = createMemoryStateStore()
    const async = createMemoryStateStore()
    const checks = [
      { key: 'a', algorithm: 'gcra' as const, limit: 3, windowMs: 1000 },
      { key: 'b', algorithm: 'sliding-window' as const, limit: 2, windowMs: 1000 },
    ]
    for (let i = 0; i < 4; i++) {
      const now = 5_000 + i * 10
      assert.deepEqual(sync.consumeSync?.(checks, now), await async.consume(checks, now))
      assert.deepEqual(sync.consumeSync?.([checks[0]!], now), await async.consume([checks[0]!], now))
    }
    await sync.close()
    await async.close()
    assert.throws(() => sync.consumeSync?.(checks), /closed/)
  })

  it('refuses calls after close', async () => {
    const store = createMemoryStateStore()
    await store.close()
    await assert.rejects(store.get('x'))
  })
})

describe('openStateStore', () => {
  it('opens memory by name and refuses unknown URLs without echoing credentials', async () => {
    const store = await openStateStore('memory')
    assert.equal(store.kind, 'memory')
    await store.close()
    await assert.rejects(openStateStore('memcached://user:secret@host:11211'), (error: Error) => {
      assert.match(error.message, /unsupported state store URL/)
      assert.doesNotMatch(error.message, /secret/)
      return true
    })
  })
})
