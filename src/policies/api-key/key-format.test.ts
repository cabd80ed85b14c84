import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import {
  API_KEY_LENGTH,
  apiKeyEnv,
  displayPrefix,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  looksLikeApiKey,
  safeEqualHex,
} from './key-format.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

test('generated keys have the documented shape for both envs', () => {
  for (const env of ['live', 'test'] as const) {
    const { key, prefix, hash } = generateApiKey(env)
    assert.match(key, new RegExp(`^pcl_${env}_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$`))
    assert.equal(key.length, API_KEY_LENGTH)
    assert.equal(prefix, key.slice(0, 12))
    assert.equal(hash, createHash('sha256').update(key).digest('hex'))
    assert.ok(isWellFormedApiKey(key))
    assert.equal(apiKeyEnv(key), env)
    assert.ok(looksLikeApiKey(key))
  }
  assert.match(generateApiKey().key, /^pcl_live_/)
})

test('unknown env is refused', () => {
  assert.throws(() => generateApiKey('prod' as 'live'), TypeError)
})

test('keys are unique and the body uses the whole base62 alphabet roughly uniformly', () => {
  const seen = new Set<string>()
  const counts = new Map<string, number>()
  const n = 2000
  for (let i = 0; i < n; i++) {
    const { key } = generateApiKey()
    seen.add(key)
    for (const ch of key.slice(9, 41)) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  }
  assert.equal(seen.size, n)
  assert.equal(counts.size, 62)
  // 64 000 characters over 62 symbols: expected ≈1032 each; generous bounds catch a broken sampler.
  for (const [ch, count] of counts) assert.ok(count > 800 && count < 1300, `${ch}: ${count}`)
})

test('every single-character substitution anywhere in the key fails the check', () => {
  const { key } = generateApiKey()
  let checked = 0
  for (let i = 0; i < key.length; i++) {
    for (const ch of ALPHABET + '_-') {
      if (ch === key[i]) continue
      const typo = key.slice(0, i) + ch + key.slice(i + 1)
      assert.equal(isWellFormedApiKey(typo), false, `typo at ${i} (${ch}) accepted`)
      checked++
    }
  }
  assert.ok(checked > 2900)
})

test('every adjacent transposition of distinct characters fails the check', () => {
  for (let round = 0; round < 20; round++) {
    const { key } = generateApiKey()
    for (let i = 0; i + 1 < key.length; i++) {
      if (key[i] === key[i + 1]) continue
      const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2)
      assert.equal(isWellFormedApiKey(swapped), false, `swap at ${i}`)
    }
  }
})

test('truncated, extended, mis-cased and foreign tokens are refused', () => {
  const { key } = generateApiKey('test')
  assert.equal(isWellFormedApiKey(key.slice(0, -1)), false)
  assert.equal(isWellFormedApiKey(key + 'a'), false)
  assert.equal(isWellFormedApiKey(key.toUpperCase()), false)
  assert.equal(isWellFormedApiKey(` ${key}`.slice(0, API_KEY_LENGTH)), false)
  assert.equal(isWellFormedApiKey(key.replace('pcl_test_', 'pcl_live_')), false, 'env is covered by the checksum')
  assert.equal(isWellFormedApiKey(''), false)
  assert.equal(isWellFormedApiKey('eyJhbGciOiJIUzI1NiJ9.e30.sig'), false)
  assert.equal(isWellFormedApiKey('pcl_' + 'a'.repeat(100_000)), false)
  assert.equal(isWellFormedApiKey(123 as unknown as string), false)
  assert.equal(apiKeyEnv('pcl_live_nope'), null)
  assert.equal(looksLikeApiKey('Bearer pcl_live'), false)
})

test('a checksum that decodes above 2^32 cannot match', () => {
  const { key } = generateApiKey()
  assert.equal(isWellFormedApiKey(key.slice(0, -6) + 'zzzzzz'), false)
})

test('hashApiKey is SHA-256 hex and never contains the key', () => {
  const { key } = generateApiKey()
  const hash = hashApiKey(key)
  assert.match(hash, /^[0-9a-f]{64}$/)
  assert.equal(hash, hashApiKey(key))
  // A different last character (a fixed 'x' would equal it for 1 key in 62).
  assert.notEqual(hash, hashApiKey(key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x')))
  assert.ok(!hash.includes(key.slice(9, 41)))
})

test('displayPrefix reveals the env and 3 body characters only', () => {
  const { key } = generateApiKey()
  const prefix = displayPrefix(key)
  assert.equal(prefix.length, 12)
  assert.ok(key.startsWith(prefix))
  assert.match(prefix, /^pcl_live_[0-9A-Za-z]{3}$/)
})

test('safeEqualHex compares exactly', () => {
  const a = hashApiKey('a')
  assert.equal(safeEqualHex(a, a), true)
  assert.equal(safeEqualHex(a, `${a}`), true)
  assert.equal(safeEqualHex(a, hashApiKey('b')), false)
  assert.equal(safeEqualHex(a, a.slice(0, -1) + (a.endsWith('0') ? '1' : '0')), false)
  assert.equal(safeEqualHex(a, a.slice(0, -2)), false)
  assert.equal(safeEqualHex('', ''), true)
  assert.equal(safeEqualHex(a, a.toUpperCase()), false)
})
