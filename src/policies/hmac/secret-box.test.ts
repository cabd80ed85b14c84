import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createSecretBox, loadSecretKeys, decodeSecretKey, SecretBoxError, SECRET_KEY_ENV } from './secret-box.js'
import { generateHmacSecret, generateHmacKeyId, isHmacKeyId, hmacKeyFromSecret } from './credentials.js'

test('round trip: seal then open returns the secret; format v1.<iv>.<tag>.<ct> base64url; fresh IV each time', () => {
  const box = createSecretBox(randomBytes(32))
  const secret = generateHmacSecret()
  const a = box.seal(secret, 'hk_a')
  const b = box.seal(secret, 'hk_a')
  assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/)
  assert.notEqual(a, b)
  assert.equal(box.open(a, 'hk_a'), secret)
  assert.equal(box.open(b, 'hk_a'), secret)
  assert.ok(!a.includes(secret))
})

test('tamper detection: every part flipped, wrong key, wrong associated data, bad format', () => {
  const key = randomBytes(32)
  const box = createSecretBox(key)
  const sealed = box.seal('s3cret-value', 'hk_a')
  const parts = sealed.split('.')
  for (const index of [1, 2, 3]) {
    const bytes = Buffer.from(parts[index]!, 'base64url')
    bytes[0] = bytes[0]! ^ 0x01
    const tampered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.')
    assert.throws(() => box.open(tampered, 'hk_a'), SecretBoxError, `part ${index}`)
  }
  assert.throws(() => box.open(sealed, 'hk_b'), SecretBoxError, 'ciphertext moved to another credential')
  assert.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'hk_a'), SecretBoxError)
  assert.throws(() => box.open(`v2.${parts.slice(1).join('.')}`, 'hk_a'), /unknown sealed format/)
  assert.throws(() => box.open('v1.AAAA.BBBB', 'hk_a'), /unknown sealed format/)
})

test('master-key rotation: new key first seals, old key still opens', () => {
  const oldKey = randomBytes(32)
  const newKey = randomBytes(32)
  const sealedOld = createSecretBox(oldKey).seal('x', 'id')
  const rotated = createSecretBox([newKey, oldKey])
  assert.equal(rotated.open(sealedOld, 'id'), 'x')
  assert.equal(createSecretBox(newKey).open(rotated.seal('y', 'id'), 'id'), 'y')
})

test('key loading: config beats env, base64 32 bytes enforced, missing key is an error', () => {
  const k1 = randomBytes(32).toString('base64')
  const k2 = randomBytes(32).toString('base64')
  assert.deepEqual(loadSecretKeys(undefined, { [SECRET_KEY_ENV]: k1 }), [Buffer.from(k1, 'base64')])
  assert.deepEqual(loadSecretKeys(k2, { [SECRET_KEY_ENV]: k1 }), [Buffer.from(k2, 'base64')])
  assert.equal(loadSecretKeys(`${k2},${k1}`, {}).length, 2)
  assert.throws(() => loadSecretKeys(undefined, {}), /PORTCULLIS_SECRET_KEY/)
  assert.throws(() => decodeSecretKey(randomBytes(16).toString('base64')), /32 bytes/)
  assert.throws(() => createSecretBox([]), SecretBoxError)
})

test('credentials: 256-bit base64url secrets, hk_ key ids, key = UTF-8 bytes of the secret', () => {
  const secret = generateHmacSecret()
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(Buffer.from(secret, 'base64url').length, 32)
  assert.notEqual(secret, generateHmacSecret())
  const id = generateHmacKeyId()
  assert.ok(isHmacKeyId(id), id)
  assert.ok(!isHmacKeyId('hk_short'))
  assert.ok(!isHmacKeyId(`xx_${id.slice(3)}`))
  assert.deepEqual(hmacKeyFromSecret('abc-_'), Buffer.from([0x61, 0x62, 0x63, 0x2d, 0x5f]))
})
