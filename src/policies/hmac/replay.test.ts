import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { createMemoryNonceStore, createRedisNonceStore, nonceKey, nonceTtlMs } from './replay.js'

test('memory store: first use wins, repeat refused, expiry frees the key', async () => {
  let now = 1_000_000
  const store = createMemoryNonceStore({ now: () => now })
  assert.equal(await store.setIfAbsent('k', '1', 5000), true)
  assert.equal(await store.setIfAbsent('k', '1', 5000), false)
  now += 5001
  assert.equal(await store.setIfAbsent('k', '1', 5000), true)
})

test('memory store: concurrent callers, exactly one wins', async () => {
  const store = createMemoryNonceStore()
  const results = await Promise.all(Array.from({ length: 50 }, () => store.setIfAbsent('same', '1', 60_000)))
  assert.equal(results.filter(Boolean).length, 1)
})

test('memory store fails closed when full instead of evicting live nonces', async () => {
  const store = createMemoryNonceStore({ maxEntries: 2 })
  await store.setIfAbsent('a', '1', 60_000)
  await store.setIfAbsent('b', '1', 60_000)
  await assert.rejects(store.setIfAbsent('c', '1', 60_000), /full/)
  assert.equal(await store.setIfAbsent('a', '1', 60_000), false, 'live entries are still remembered')
})

test('nonce keys are per keyid, fixed-length; TTL covers the rest of the window', () => {
  // Pinned: instances sharing Redis must derive the same key for the same nonce across versions.
  assert.equal(nonceKey('hk_x', 'nonce-1'), `hmac:nonce:${createHash('sha256').update('hk_x').update('\0').update('nonce-1').digest('base64url')}`)
  assert.notEqual(nonceKey('k1', 'n'), nonceKey('k2', 'n'))
  assert.notEqual(nonceKey('a', 'bc'), nonceKey('ab', 'c'))
  assert.equal(nonceKey('k', 'x'.repeat(256)).length, nonceKey('k', 'y').length)
  assert.equal(nonceTtlMs(1000, 300_000, 1_000_000), 301_000)
  assert.equal(nonceTtlMs(1000, 300_000, 1_300_000), 1000)
  assert.equal(nonceTtlMs(1300, 300_000, 1_000_000), 601_000, 'created in the future (within skew) is remembered longer')
})

const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function connect(): Promise<Redis | undefined> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  try {
    await client.connect()
    return client
  } catch (error) {
    client.disconnect()
    if (process.env.CI === 'true') throw error
    console.warn(`\n!!! SKIPPING Redis nonce test: ${REDIS_URL} unreachable (${(error as Error).message}) !!!\n`)
    return undefined
  }
}

test('redis store: two independent connections (two gateway instances) — one acceptance only, with TTL', async (t) => {
  const a = await connect()
  const b = await connect()
  if (a === undefined || b === undefined) {
    a?.disconnect()
    b?.disconnect()
    t.skip('redis unreachable')
    return
  }
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  try {
    const storeA = createRedisNonceStore(a, prefix)
    const storeB = createRedisNonceStore(b, prefix)
    const key = nonceKey('hk_x', 'nonce-1')
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => storeA.setIfAbsent(key, '1', 60_000)),
      ...Array.from({ length: 10 }, () => storeB.setIfAbsent(key, '1', 60_000)),
    ])
    assert.equal(results.filter(Boolean).length, 1)
    const ttl = await a.pttl(`${prefix}${key}`)
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
    assert.equal(await storeB.setIfAbsent(nonceKey('hk_x', 'nonce-2'), '1', 60_000), true)
  } finally {
    const keys = await a.keys(`${prefix}*`)
    if (keys.length > 0) await a.del(...keys)
    a.disconnect()
    b.disconnect()
  }
})
