import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createVerifiedKeyCache } from './verified-keys.js'

const KEY = 'pcl_live_0123456789ABCDEFGHIJKLMNOPQRSTUV_abcdef'

test('ids are secret-keyed digests: stable in one cache, unrelated across caches, never the key', () => {
  const a = createVerifiedKeyCache<string>({ ttlMs: 1000, maxEntries: 10 })
  const b = createVerifiedKeyCache<string>({ ttlMs: 1000, maxEntries: 10 })
  assert.equal(a.idOf(KEY), a.idOf(KEY))
  assert.notEqual(a.idOf(KEY), b.idOf(KEY), 'each cache (process) has its own secret')
  assert.notEqual(a.idOf(KEY), a.idOf(KEY.slice(0, -1) + 'g'))
  assert.ok(!a.idOf(KEY).includes(KEY.slice(9, 20)))
  assert.match(a.idOf(KEY), /^[A-Za-z0-9+/]{43}=$/, 'a SHA-256 digest in base64')
})

test('an entry is served until its TTL, then gone', () => {
  const cache = createVerifiedKeyCache<string>({ ttlMs: 1000, maxEntries: 10 })
  const id = cache.idOf(KEY)
  cache.set(id, 'verified', 'key_1', 5000, cache.generation)
  assert.equal(cache.get(id, 5999), 'verified')
  assert.equal(cache.get(id, 6000), undefined)
  assert.equal(cache.size, 0, 'an expired entry is dropped when found')
})

test('unknown keys are cached as null, distinct from a miss', () => {
  const cache = createVerifiedKeyCache<string>({ ttlMs: 1000, maxEntries: 10 })
  const id = cache.idOf(KEY)
  assert.equal(cache.get(id, 0), undefined)
  cache.set(id, null, undefined, 0, cache.generation)
  assert.equal(cache.get(id, 1), null)
})

test('invalidate drops the entry of that key id only', () => {
  const cache = createVerifiedKeyCache<string>({ ttlMs: 1000, maxEntries: 10 })
  const other = KEY.replace('0123', '3210')
  cache.set(cache.idOf(KEY), 'one', 'key_1', 0, cache.generation)
  cache.set(cache.idOf(other), 'two', 'key_2', 0, cache.generation)
  cache.invalidate('key_1')
  assert.equal(cache.get(cache.idOf(KEY), 1), undefined)
  assert.equal(cache.get(cache.idOf(other), 1), 'two')
})

test('a lookup that raced with an invalidation is not cached', () => {
  const cache = createVerifiedKeyCache<string>({ ttlMs: 1000, maxEntries: 10 })
  const seen = cache.generation
  cache.invalidate('key_1') // e.g. a revoke committed while the store read was in flight
  cache.set(cache.idOf(KEY), 'as read before the revoke', 'key_1', 0, seen)
  assert.equal(cache.get(cache.idOf(KEY), 1), undefined)
})

test('the cache is bounded: past maxEntries the oldest entry goes', () => {
  const cache = createVerifiedKeyCache<number>({ ttlMs: 60_000, maxEntries: 3 })
  const ids = Array.from({ length: 5 }, (_, i) => cache.idOf(`${KEY}${i}`))
  ids.forEach((id, i) => cache.set(id, i, `key_${i}`, 0, cache.generation))
  assert.equal(cache.size, 3)
  assert.deepEqual(ids.map((id) => cache.get(id, 1)), [undefined, undefined, 2, 3, 4])
  cache.invalidate('key_0') // its entry was evicted: nothing else is touched
  assert.equal(cache.size, 3)
})

test('a zero size or TTL disables caching', () => {
  for (const options of [{ ttlMs: 0, maxEntries: 10 }, { ttlMs: 1000, maxEntries: 0 }]) {
    const cache = createVerifiedKeyCache<string>(options)
    cache.set(cache.idOf(KEY), 'v', 'key_1', 0, cache.generation)
    assert.equal(cache.get(cache.idOf(KEY), 0), undefined)
  }
})
