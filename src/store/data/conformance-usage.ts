/**
 * Conformance, part two: usage analytics and roll-ups, quota counters (exact under
 * concurrency), persistence across close/reopen, and "no plaintext key at rest".
 * Registered by `runDataStoreConformance`; not meant to be called alone.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { generateApiKey } from '../../policies/api-key/key-format.js'
import type { ConformanceHarness, ConformanceStorage } from './conformance.js'
import type { DataStore, UsageRow } from './types.js'

type Run = (fn: (store: DataStore, s: ConformanceStorage) => Promise<void>) => () => Promise<void>

const T0 = Date.UTC(2024, 0, 15, 10, 0) // aligned on an hour
const MIN = 60_000
const HOUR = 3_600_000
const DAY = Date.UTC(2024, 0, 15)
const ROUTE = 'GET /v1/stations'

/** Registers the usage, quota, persistence and secrecy cases. */
export function runUsageConformance(_harness: ConformanceHarness, run: Run): void {
  it('records usage and rolls it up per minute, hour and day', run(async (store) => {
    await store.recordUsage([
      { keyId: 'k1', consumerId: 'c1', route: ROUTE, statusClass: '2xx', minute: T0, count: 3 },
      { keyId: 'k1', consumerId: 'c1', route: ROUTE, statusClass: '2xx', minute: T0, count: 2 },
      { keyId: 'k1', consumerId: 'c1', route: ROUTE, statusClass: '4xx', minute: T0 + MIN, count: 1 },
      { keyId: 'k2', consumerId: 'c1', route: ROUTE, statusClass: '2xx', minute: T0 + HOUR, count: 5 },
      { route: 'GET /healthz', statusClass: '2xx', minute: T0, count: 7 },
    ])
    await store.recordUsage([{ keyId: 'k1', consumerId: 'c1', route: ROUTE, statusClass: '2xx', minute: T0, count: 1 }])
    await store.recordUsage([])

    assert.deepEqual(await store.usage({ keyId: 'k1', granularity: 'minute' }), [
      { bucket: T0, route: ROUTE, statusClass: '2xx', count: 6 },
      { bucket: T0 + MIN, route: ROUTE, statusClass: '4xx', count: 1 },
    ])
    assert.deepEqual(await store.usage({ keyId: 'k1', granularity: 'hour' }), [
      { bucket: T0, route: ROUTE, statusClass: '2xx', count: 6 },
      { bucket: T0, route: ROUTE, statusClass: '4xx', count: 1 },
    ])
    assert.deepEqual(await store.usage({ consumerId: 'c1', granularity: 'day' }), [
      { bucket: DAY, route: ROUTE, statusClass: '2xx', count: 11 },
      { bucket: DAY, route: ROUTE, statusClass: '4xx', count: 1 },
    ])
    assert.deepEqual(await store.usage({ consumerId: 'c1', granularity: 'hour', from: T0 + HOUR }), [
      { bucket: T0 + HOUR, route: ROUTE, statusClass: '2xx', count: 5 },
    ])
    assert.deepEqual(await store.usage({ keyId: 'k1', granularity: 'hour', to: T0 }), [])
    assert.deepEqual(await store.usage({ keyId: 'k1', consumerId: 'c2', granularity: 'minute' }), [])
    assert.deepEqual(await store.usage({ keyId: 'k2', consumerId: 'c1', granularity: 'day' }), [
      { bucket: DAY, route: ROUTE, statusClass: '2xx', count: 5 },
    ])
    const everything = await store.usage({ granularity: 'minute', from: T0, to: T0 + MIN })
    assert.deepEqual(everything, [
      { bucket: T0, route: 'GET /healthz', statusClass: '2xx', count: 7 },
      { bucket: T0, route: ROUTE, statusClass: '2xx', count: 6 },
    ])

    assert.equal(await store.pruneUsage({ minute: T0 + MIN }), 2)
    assert.deepEqual(await store.usage({ keyId: 'k1', granularity: 'minute' }), [{ bucket: T0 + MIN, route: ROUTE, statusClass: '4xx', count: 1 }])
    assert.equal((await store.usage({ keyId: 'k1', granularity: 'hour' })).length, 2, 'roll-ups survive minute pruning')
    await assert.rejects(store.usage({ granularity: 'week' as 'day' }), TypeError)
  }))

  it('sums large and concurrent usage batches exactly', run(async (store) => {
    const batch: UsageRow[] = []
    for (let i = 0; i < 3000; i++) {
      batch.push({ keyId: `k${i % 7}`, consumerId: 'c', route: `GET /r${i % 5}`, statusClass: i % 3 ? '2xx' : '5xx', minute: T0 + (i % 90) * MIN, count: 1 })
    }
    const started = Date.now()
    await store.recordUsage(batch)
    const elapsedMs = Date.now() - started
    assert.ok(elapsedMs < 30_000, `3000-row batch took ${elapsedMs} ms`)
    // Overlapping concurrent flushes (two gateways) must neither lose counts nor deadlock.
    await Promise.all(Array.from({ length: 6 }, () => store.recordUsage(batch.slice(0, 500))))
    const total = (rows: { count: number }[]) => rows.reduce((sum, r) => sum + r.count, 0)
    assert.equal(total(await store.usage({ consumerId: 'c', granularity: 'minute' })), 6000)
    assert.equal(total(await store.usage({ consumerId: 'c', granularity: 'hour' })), 6000)
    assert.equal(total(await store.usage({ consumerId: 'c', granularity: 'day' })), 6000)
    assert.equal(total(await store.usage({ keyId: 'k0', granularity: 'day' })), batch.filter((r) => r.keyId === 'k0').length + 6 * batch.slice(0, 500).filter((r) => r.keyId === 'k0').length)
  }))

  it('keeps quota counters per subject and period', run(async (store) => {
    assert.equal(await store.getQuota('key:a', T0), 0)
    assert.equal(await store.incrementQuota('key:a', T0, 1), 1)
    assert.equal(await store.incrementQuota('key:a', T0, 5), 6)
    assert.equal(await store.incrementQuota('key:a', T0 + DAY, 2), 2)
    assert.equal(await store.incrementQuota('key:b', T0, 3), 3)
    assert.equal(await store.getQuota('key:a', T0), 6)
    assert.equal(await store.pruneQuota(T0 + 1), 2)
    assert.equal(await store.getQuota('key:a', T0), 0)
    assert.equal(await store.getQuota('key:a', T0 + DAY), 2)
  }))

  it('counts concurrent quota increments exactly, across two store instances', run(async (store, s) => {
    const second = await s.reopen()
    const n = 200
    const totals = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? second : store).incrementQuota('key:hot', T0, 1)))
    assert.deepEqual([...totals].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1))
    assert.equal(await store.getQuota('key:hot', T0), n)
    assert.equal(await second.getQuota('key:hot', T0), n)
  }))

  it('persists everything across close and reopen', run(async (store, s) => {
    const consumer = await store.createConsumer({ name: 'persist', tenant: 'acme', roles: ['r'], metadata: { a: [1, 2] } })
    const { hash } = generateApiKey()
    const key = await store.createApiKey({ consumerId: consumer.id, prefix: 'pcl_live_Per', hash, scopes: ['x'], quota: { limit: 5, period: 'day' } })
    const hmac = await store.createHmacCredential({ keyId: 'hk_p', consumerId: consumer.id, secretCiphertext: 'ct' })
    const client = await store.createClient({ clientId: 'cl_p', name: 'p', secretHash: 'h', scopes: ['x'] })
    const audit = await store.appendAudit({ actor: 'a', action: 'b', target: 'c', details: { n: 1 } })
    await store.recordUsage([{ keyId: key.id, consumerId: consumer.id, route: ROUTE, statusClass: '2xx', minute: T0, count: 4 }])
    await store.incrementQuota(`key:${key.id}`, T0, 9)
    await store.close()

    const again = await s.reopen()
    assert.deepEqual(await again.getConsumer(consumer.id), consumer)
    assert.deepEqual(await again.findApiKeyByHash(hash), key)
    assert.deepEqual(await again.findHmacCredential('hk_p'), hmac)
    assert.deepEqual(await again.getClient('cl_p'), client)
    assert.deepEqual(await again.listAudit(), [audit])
    assert.deepEqual(await again.usage({ keyId: key.id, granularity: 'day' }), [{ bucket: DAY, route: ROUTE, statusClass: '2xx', count: 4 }])
    assert.equal(await again.incrementQuota(`key:${key.id}`, T0, 1), 10)
    // Reopening ran the migrations again: they must have been no-ops.
    const third = await s.reopen()
    assert.equal((await third.listConsumers()).length, 1)
  }))

  it('never stores a plaintext API key anywhere', run(async (store, s) => {
    const consumer = await store.createConsumer({ name: 'needle-owner' })
    const keys = Array.from({ length: 5 }, () => generateApiKey())
    for (const generated of keys) {
      const record = await store.createApiKey({ consumerId: consumer.id, prefix: generated.prefix, hash: generated.hash })
      await store.appendAudit({ actor: 'admin', action: 'key.create', target: record.id, details: { prefix: generated.prefix, key: generated.key } })
    }
    const replacement = generateApiKey()
    const first = await store.findApiKeyByHash(keys[0]!.hash)
    await store.rotateApiKey(first!.id, { consumerId: consumer.id, prefix: replacement.prefix, hash: replacement.hash }, T0)
    keys.push(replacement)

    const check = async (when: string) => {
      // Positive controls: the scan does see what the store holds, so a miss below means something.
      assert.ok(await s.rawContains('needle-owner'), `${when}: scan cannot see the consumer name`)
      assert.ok(await s.rawContains(keys[1]!.hash), `${when}: scan cannot see a stored hash`)
      for (const { key } of keys) {
        assert.equal(await s.rawContains(key), false, `${when}: plaintext key found at rest`)
        assert.equal(await s.rawContains(key.slice(9, 41)), false, `${when}: key body found at rest`)
      }
    }
    await check('while open')
    await store.close()
    await check('after close')
  }))
}
