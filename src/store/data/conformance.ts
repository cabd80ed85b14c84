/**
 * The shared data store conformance suite: one set of behaviours every adapter must show.
 * Adapter test files call {@link runDataStoreConformance} with a harness that opens fresh,
 * isolated storage per case (a temp SQLite file, a random PostgreSQL schema).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { isDataStoreError } from './errors.js'
import type { DataStore, NewApiKey } from './types.js'
import { runUsageConformance } from './conformance-usage.js'

/** One isolated storage: its first store, plus ways to reopen and inspect it. */
export interface ConformanceStorage {
  store: DataStore
  /** Opens another store on the same storage (persistence, multi-instance checks). */
  reopen(): Promise<DataStore>
  /** True when `needle` occurs anywhere in the raw storage (file bytes, every table's rows). */
  rawContains(needle: string): Promise<boolean>
  /** Closes every store opened here and deletes the storage. */
  destroy(): Promise<void>
}

/** How the suite gets storage: each call must return fresh, empty, isolated storage. */
export interface ConformanceHarness {
  create(): Promise<ConformanceStorage>
}

/** Runs `fn` against fresh storage and always destroys it. */
export async function withStorage(harness: ConformanceHarness, fn: (s: ConformanceStorage) => Promise<void>): Promise<void> {
  const storage = await harness.create()
  try {
    await fn(storage)
  } finally {
    await storage.destroy()
  }
}

/** A random SHA-256 hex, for key records that need no real key behind them. */
export function randomHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('hex')
}

function keyInput(consumerId: string, extra: Partial<NewApiKey> = {}): NewApiKey {
  return { consumerId, prefix: 'pcl_live_Abc', hash: randomHash(), ...extra }
}

/** Registers the whole suite (entities here, usage/quota/persistence/secrets in conformance-usage.ts). */
export function runDataStoreConformance(name: string, harness: ConformanceHarness): void {
  const run = (fn: (store: DataStore, s: ConformanceStorage) => Promise<void>) => () =>
    withStorage(harness, (s) => fn(s.store, s))

  describe(`${name} data store conformance`, () => {
    it('answers ping and reports its kind', run(async (store) => {
      await store.ping()
      assert.equal(store.kind, name)
    }))

    it('creates, reads, lists and updates consumers', run(async (store) => {
      const a = await store.createConsumer({ name: 'alpha', tenant: 't1', roles: ['admin'], groups: ['g'], metadata: { tier: 'gold', n: 2 } })
      assert.match(a.id, /^con_[0-9a-f]{24}$/)
      assert.ok(a.createdAt > 0)
      assert.deepEqual(await store.getConsumer(a.id), a)
      const b = await store.createConsumer({ id: 'con_b', name: 'beta', createdAt: 1000 })
      assert.deepEqual(b, { id: 'con_b', name: 'beta', tenant: undefined, roles: [], groups: [], metadata: {}, createdAt: 1000 })
      assert.deepEqual(await store.getConsumer('con_b'), b)
      assert.equal(await store.getConsumer('con_missing'), null)

      const all = await store.listConsumers()
      assert.deepEqual(all.map((c) => c.id), [a.id, b.id].sort())
      assert.deepEqual((await store.listConsumers({ tenant: 't1' })).map((c) => c.id), [a.id])
      const first = await store.listConsumers({ limit: 1 })
      assert.equal(first.length, 1)
      const second = await store.listConsumers({ limit: 1, after: first[0]!.id })
      assert.deepEqual([...first, ...second].map((c) => c.id), all.map((c) => c.id))

      const updated = await store.updateConsumer(a.id, { roles: ['reader'], tenant: null, metadata: { tier: 'silver' } })
      assert.deepEqual(updated, { ...a, roles: ['reader'], tenant: undefined, metadata: { tier: 'silver' } })
      assert.deepEqual(await store.getConsumer(a.id), updated)
      const renamed = await store.updateConsumer(a.id, { name: 'alpha2', tenant: 't2' })
      assert.deepEqual(renamed, { ...updated, name: 'alpha2', tenant: 't2' })
      assert.equal(await store.updateConsumer('con_missing', { name: 'x' }), null)
      await assert.rejects(store.createConsumer({ id: 'con_b', name: 'dup' }), (err) => isDataStoreError(err, 'conflict'))
    }))

    it('stores API keys with every setting and finds them by hash', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const input = keyInput(c.id, {
        scopes: ['stations:read', 'stations:write'],
        allowCidrs: ['10.0.0.0/8', '2001:db8::/32'],
        allowedOrigins: ['https://*.example.com'],
        allowedApps: ['com.example.ios'],
        rateLimit: { limit: 10, windowMs: 60_000 },
        quota: { limit: 1000, period: 'month' },
        expiresAt: 9_999_999_999_999,
        createdAt: 5000,
      })
      const key = await store.createApiKey(input)
      assert.match(key.id, /^key_[0-9a-f]{24}$/)
      assert.deepEqual(key, {
        id: key.id, consumerId: c.id, prefix: 'pcl_live_Abc', hash: input.hash, scopes: ['stations:read', 'stations:write'],
        allowCidrs: ['10.0.0.0/8', '2001:db8::/32'], allowedOrigins: ['https://*.example.com'], allowedApps: ['com.example.ios'],
        rateLimit: { limit: 10, windowMs: 60_000 }, quota: { limit: 1000, period: 'month' }, expiresAt: 9_999_999_999_999,
        revokedAt: undefined, replacedBy: undefined, graceUntil: undefined, createdAt: 5000, lastUsedAt: undefined,
      })
      assert.deepEqual(await store.findApiKeyByHash(input.hash), key)
      assert.deepEqual(await store.getApiKey(key.id), key)
      assert.equal(await store.findApiKeyByHash(randomHash()), null)
      assert.equal(await store.getApiKey('key_missing'), null)

      const plain = await store.createApiKey(keyInput(c.id, { createdAt: 6000 }))
      assert.deepEqual([plain.scopes, plain.allowCidrs, plain.rateLimit, plain.quota, plain.expiresAt], [[], [], undefined, undefined, undefined])
      const other = await store.createConsumer({ name: 'other' })
      const foreign = await store.createApiKey(keyInput(other.id, { createdAt: 7000 }))
      assert.deepEqual((await store.listApiKeys(c.id)).map((k) => k.id), [key.id, plain.id])
      assert.deepEqual((await store.listApiKeys()).map((k) => k.id), [key.id, plain.id, foreign.id])
      assert.deepEqual(await store.listApiKeys('con_missing'), [])

      await store.touchApiKey(key.id, 8000)
      await store.touchApiKey(key.id, 7000) // an out-of-order touch must not move lastUsedAt back
      assert.equal((await store.getApiKey(key.id))!.lastUsedAt, 8000)
    }))

    it('refuses duplicate hashes, unknown consumers and key material in the record', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const hash = randomHash()
      await store.createApiKey(keyInput(c.id, { hash }))
      await assert.rejects(store.createApiKey(keyInput(c.id, { hash })), (err) => isDataStoreError(err, 'conflict'))
      await assert.rejects(store.createApiKey(keyInput('con_missing')), (err) => isDataStoreError(err, 'not_found'))
      await assert.rejects(store.createApiKey(keyInput(c.id, { hash: 'pcl_live_notahash' })), TypeError)
      await assert.rejects(store.createApiKey(keyInput(c.id, { hash: hash.toUpperCase() })), TypeError)
      await assert.rejects(store.createApiKey(keyInput(c.id, { prefix: 'pcl_live_' + 'x'.repeat(32) })), TypeError)
    }))

    it('revokes keys once, keeping the first revocation time', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const key = await store.createApiKey(keyInput(c.id))
      const revoked = await store.revokeApiKey(key.id, 1234)
      assert.equal(revoked!.revokedAt, 1234)
      assert.equal((await store.revokeApiKey(key.id, 9999))!.revokedAt, 1234)
      assert.equal((await store.findApiKeyByHash(key.hash))!.revokedAt, 1234)
      assert.equal(await store.revokeApiKey('key_missing'), null)
    }))

    it('rotates atomically: new key stored, old one marked with its grace period', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const old = await store.createApiKey(keyInput(c.id, { scopes: ['a'] }))
      const next = await store.rotateApiKey(old.id, keyInput(c.id, { scopes: ['a'] }), 50_000)
      assert.ok(next)
      assert.deepEqual(await store.getApiKey(next.id), next)
      const oldAfter = await store.getApiKey(old.id)
      assert.deepEqual(oldAfter, { ...old, replacedBy: next.id, graceUntil: 50_000 })
      await assert.rejects(store.rotateApiKey(old.id, keyInput(c.id), 1), (err) => isDataStoreError(err, 'conflict'))
      assert.equal(await store.rotateApiKey('key_missing', keyInput(c.id), 1), null)

      // A failed insert leaves the old key untouched.
      const lone = await store.createApiKey(keyInput(c.id))
      await assert.rejects(store.rotateApiKey(lone.id, keyInput(c.id, { hash: next.hash }), 1), (err) => isDataStoreError(err, 'conflict'))
      assert.deepEqual(await store.getApiKey(lone.id), lone)
      await store.revokeApiKey(lone.id)
      await assert.rejects(store.rotateApiKey(lone.id, keyInput(c.id), 1), (err) => isDataStoreError(err, 'conflict'))
    }))

    it('rotates a key at most once under concurrent rotations', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const old = await store.createApiKey(keyInput(c.id))
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.rotateApiKey(old.id, keyInput(c.id), 1)))
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
      assert.ok(results.every((r) => r.status === 'fulfilled' || isDataStoreError(r.reason, 'conflict')))
      assert.equal((await store.listApiKeys(c.id)).length, 2)
    }))

    it('stores HMAC credentials', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const cred = await store.createHmacCredential({ keyId: 'hk_1', consumerId: c.id, secretCiphertext: 'v1:opaque', expiresAt: 99, createdAt: 10 })
      assert.deepEqual(cred, { keyId: 'hk_1', consumerId: c.id, secretCiphertext: 'v1:opaque', createdAt: 10, expiresAt: 99, revokedAt: undefined })
      assert.deepEqual(await store.findHmacCredential('hk_1'), cred)
      assert.equal(await store.findHmacCredential('hk_missing'), null)
      const second = await store.createHmacCredential({ keyId: 'hk_2', consumerId: c.id, secretCiphertext: 'v1:x', createdAt: 20 })
      assert.deepEqual(await store.listHmacCredentials(c.id), [cred, second])
      await assert.rejects(store.createHmacCredential({ keyId: 'hk_1', consumerId: c.id, secretCiphertext: 'x' }), (e) => isDataStoreError(e, 'conflict'))
      await assert.rejects(store.createHmacCredential({ keyId: 'hk_3', consumerId: 'con_missing', secretCiphertext: 'x' }), (e) => isDataStoreError(e, 'not_found'))
      assert.equal((await store.revokeHmacCredential('hk_1', 77))!.revokedAt, 77)
      assert.equal((await store.revokeHmacCredential('hk_1', 88))!.revokedAt, 77)
      assert.equal(await store.revokeHmacCredential('hk_missing'), null)
    }))

    it('stores OAuth clients', run(async (store) => {
      const c = await store.createConsumer({ name: 'c' })
      const client = await store.createClient({
        clientId: 'cl_a', name: 'app', secretHash: randomHash(), scopes: ['s1'], grants: ['client_credentials'],
        redirectUris: ['https://app.example/cb'], consumerId: c.id, createdAt: 3,
      })
      assert.deepEqual(await store.getClient('cl_a'), client)
      const bare = await store.createClient({ clientId: 'cl_b', name: 'bare', secretHash: randomHash() })
      assert.deepEqual([bare.scopes, bare.grants, bare.redirectUris, bare.consumerId], [[], [], [], undefined])
      assert.deepEqual(await store.listClients(), [client, bare])
      assert.deepEqual(await store.listClients({ after: 'cl_a' }), [bare])
      assert.equal(await store.getClient('cl_missing'), null)
      await assert.rejects(store.createClient({ clientId: 'cl_a', name: 'x', secretHash: 'x' }), (e) => isDataStoreError(e, 'conflict'))
      await assert.rejects(store.createClient({ clientId: 'cl_c', name: 'x', secretHash: 'x', consumerId: 'nope' }), (e) => isDataStoreError(e, 'not_found'))
      assert.equal((await store.revokeClient('cl_a', 5))!.revokedAt, 5)
      assert.equal((await store.getClient('cl_a'))!.revokedAt, 5)
      assert.equal(await store.revokeClient('cl_missing'), null)
    }))

    it('appends audit entries newest-first, filters, pages and redacts secrets', run(async (store) => {
      const first = await store.appendAudit({ at: 1, actor: 'admin', action: 'consumer.create', target: 'con_1', details: { name: 'a' } })
      const second = await store.appendAudit({ at: 2, actor: 'cli', action: 'key.create', target: 'key_1', details: { scopes: ['x'] } })
      const third = await store.appendAudit({
        actor: 'admin', action: 'client.create', target: 'cl_1',
        details: { clientSecret: 'shh', nested: { password: 'p', ok: 1 }, list: [{ token: 't' }], key: 'pcl_live_x' },
      })
      assert.ok(Number(first.id) < Number(second.id) && Number(second.id) < Number(third.id))
      assert.deepEqual(third.details, { clientSecret: '[redacted]', nested: { password: '[redacted]', ok: 1 }, list: [{ token: '[redacted]' }], key: '[redacted]' })
      assert.deepEqual(await store.listAudit(), [third, second, first])
      assert.deepEqual(await store.listAudit({ actor: 'admin' }), [third, first])
      assert.deepEqual(await store.listAudit({ target: 'key_1' }), [second])
      assert.deepEqual(await store.listAudit({ action: 'consumer.create', actor: 'admin' }), [first])
      assert.deepEqual(await store.listAudit({ limit: 2 }), [third, second])
      assert.deepEqual(await store.listAudit({ before: second.id }), [first])
      assert.deepEqual(await store.listAudit({ before: 'garbage' }), [])
      assert.deepEqual(first.details, { name: 'a' })
    }))

    runUsageConformance(harness, run)
  })
}
