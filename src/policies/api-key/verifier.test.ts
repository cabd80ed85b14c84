import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openSqliteDataStore } from '../../store/data/sqlite.js'
import type { DataStore } from '../../store/data/types.js'
import { generateApiKey } from './key-format.js'
import { createApiKeyVerifier, type VerifyOutcome } from './verifier.js'

const T0 = Date.UTC(2025, 0, 1)
const TTL = 10_000

/** A SQLite store that counts key lookups, so a test can tell a cache hit from a store read. */
async function setup(options: { cacheSize?: number } = {}) {
  const store = openSqliteDataStore(':memory:')
  let lookups = 0
  const data: DataStore = Object.create(store)
  data.findApiKeyByHash = (hash) => {
    lookups++
    return store.findApiKeyByHash(hash)
  }
  const consumer = await store.createConsumer({ name: 'c', roles: ['user'] })
  const verifier = createApiKeyVerifier(data, { cacheTtlMs: TTL, ...options })
  async function newKey(extra: { expiresAt?: number } = {}) {
    const generated = generateApiKey()
    const record = await store.createApiKey({ consumerId: consumer.id, prefix: generated.prefix, hash: generated.hash, createdAt: T0, ...extra })
    return { key: generated.key, record }
  }
  return { store, verifier, newKey, consumer, lookups: () => lookups }
}

const reason = (outcome: VerifyOutcome): string => (outcome.ok ? 'ok' : outcome.reason)

test('a warm key is answered from the cache, synchronously, with a shared frozen Principal', async () => {
  const { verifier, newKey, consumer, lookups } = await setup()
  const { key, record } = await newKey()
  const first = await verifier.verify(key, T0)
  assert.equal(reason(first), 'ok')
  const second = verifier.verify(key, T0 + 1)
  assert.ok(!(second instanceof Promise), 'a hit needs no promise')
  assert.equal(reason(second), 'ok')
  assert.equal(lookups(), 1)
  assert.ok(first.ok && second.ok)
  assert.equal(second.key.principal, first.key.principal)
  assert.ok(Object.isFrozen(second.key.principal))
  assert.deepEqual({ ...second.key.principal }, {
    subject: consumer.id, consumerId: consumer.id, tenant: undefined, method: 'api-key', scopes: [], roles: ['user'], groups: [], credentialId: record.id,
    limits: { rateLimit: undefined, quota: undefined },
  })
})

test('a revoked key is refused at once on this instance (invalidate) and within the TTL elsewhere', async () => {
  const { store, verifier, newKey } = await setup()
  const { key, record } = await newKey()
  const elsewhere = createApiKeyVerifier(store, { cacheTtlMs: TTL }) // another gateway instance
  assert.equal(reason(await verifier.verify(key, T0)), 'ok')
  assert.equal(reason(await elsewhere.verify(key, T0)), 'ok')
  await store.revokeApiKey(record.id, T0 + 1)
  verifier.invalidate(record.id) // what the admin API does on the instance that revoked
  assert.equal(reason(await verifier.verify(key, T0 + 2)), 'revoked')
  // The other instance learns of it by re-reading the store once its entry is older than the TTL.
  assert.equal(reason(await elsewhere.verify(key, T0 + TTL)), 'revoked')
})

test('a revocation dated in the future bites at its instant, even from the cache', async () => {
  const { store, verifier, newKey, lookups } = await setup()
  const { key, record } = await newKey()
  await store.revokeApiKey(record.id, T0 + 500)
  assert.equal(reason(await verifier.verify(key, T0)), 'ok')
  assert.equal(reason(await verifier.verify(key, T0 + 500)), 'revoked')
  assert.equal(lookups(), 1, 'decided from the cached record')
})

test('an expired key is refused from the cache at its expiry instant', async () => {
  const { verifier, newKey, lookups } = await setup()
  const { key } = await newKey({ expiresAt: T0 + 1000 })
  assert.equal(reason(await verifier.verify(key, T0)), 'ok')
  assert.equal(reason(await verifier.verify(key, T0 + 999)), 'ok')
  assert.equal(reason(await verifier.verify(key, T0 + 1000)), 'expired')
  assert.equal(lookups(), 1)
})

test('rotation: the old key works during its grace only, the new key at once', async () => {
  const { store, verifier, newKey } = await setup()
  const { key: oldKey, record: old } = await newKey()
  assert.equal(reason(await verifier.verify(oldKey, T0)), 'ok')
  const next = generateApiKey()
  await store.rotateApiKey(old.id, { consumerId: old.consumerId, prefix: next.prefix, hash: next.hash }, T0 + 2000)
  verifier.invalidate(old.id)
  assert.equal(reason(await verifier.verify(oldKey, T0 + 1)), 'ok', 'within grace')
  assert.equal(reason(await verifier.verify(next.key, T0 + 1)), 'ok')
  assert.equal(reason(await verifier.verify(oldKey, T0 + 2000)), 'rotated', 'grace over, decided from the cache')
  assert.equal(reason(await verifier.verify(next.key, T0 + 2000)), 'ok')
})

test('a wrong key is never served from a cached right one', async () => {
  const { verifier, newKey, lookups } = await setup()
  const { key } = await newKey()
  assert.equal(reason(await verifier.verify(key, T0)), 'ok')
  const typo = key.slice(0, 12) + (key[12] === 'A' ? 'B' : 'A') + key.slice(13)
  assert.equal(reason(await verifier.verify(typo, T0)), 'malformed', 'the checksum catches a typo')
  const stranger = generateApiKey().key // well-formed, never issued
  assert.equal(reason(await verifier.verify(stranger, T0)), 'unknown')
  assert.equal(reason(await verifier.verify(stranger, T0 + 1)), 'unknown', 'remembered as unknown')
  assert.equal(reason(await verifier.verify(key.slice(0, -1), T0)), 'malformed')
  assert.equal(reason(await verifier.verify(`${key}x`, T0)), 'malformed')
  assert.equal(lookups(), 2, 'the right key once, the stranger once; malformed keys never reach the store')
})

test('a revoke that lands while the key is being read is not undone by the cache', async () => {
  const { store, verifier, newKey } = await setup()
  const { key, record } = await newKey()
  const reading = verifier.verify(key, T0) // store read in flight
  await store.revokeApiKey(record.id, T0)
  verifier.invalidate(record.id)
  await reading // whatever it saw, it must not be remembered
  assert.equal(reason(await verifier.verify(key, T0 + 1)), 'revoked')
})

test('the cache is bounded: an evicted key is read from the store again', async () => {
  const { verifier, newKey, lookups } = await setup({ cacheSize: 2 })
  const keys = await Promise.all([newKey(), newKey(), newKey()])
  for (const { key } of keys) assert.equal(reason(await verifier.verify(key, T0)), 'ok')
  assert.equal(lookups(), 3)
  assert.equal(reason(await verifier.verify(keys[2]!.key, T0)), 'ok')
  assert.equal(lookups(), 3, 'the newest is cached')
  assert.equal(reason(await verifier.verify(keys[0]!.key, T0)), 'ok')
  assert.equal(lookups(), 4, 'the oldest was evicted')
})
