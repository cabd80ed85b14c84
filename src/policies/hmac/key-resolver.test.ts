import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, generateKeyPairSync } from 'node:crypto'
import { createSecretBox } from './secret-box.js'
import { issueHmacCredential, rotateHmacSecret } from './credentials.js'
import { createStoredKeyResolver, type StoredHmacCredential } from './key-resolver.js'
import { createMemoryNonceStore } from './replay.js'
import { verifySignedRequest, parseComponentSpec, type VerifyOptions } from './verify.js'
import { signRequestHeaders } from '../../signing/sign.js'

const OPTIONS: VerifyOptions = {
  requiredComponents: ['@method', '@target-uri'].map(parseComponentSpec),
  maxAgeMs: 300_000, clockSkewMs: 300_000, requireNonce: true, algorithms: ['hmac-sha256', 'ed25519'],
}

test('issue → store sealed → resolve → verify; rotation overlap; revocation after invalidate', async () => {
  const box = createSecretBox(randomBytes(32))
  const issued = issueHmacCredential(box)
  const rows = new Map<string, StoredHmacCredential>([[issued.keyId, { keyId: issued.keyId, consumerId: 'c1', alg: 'hmac-sha256', keyMaterial: issued.sealedSecret }]])
  let lookups = 0
  const resolver = createStoredKeyResolver(async (id) => (lookups++, rows.get(id) ?? null), box)
  const nonces = createMemoryNonceStore()
  const verifyWith = async (secret: string) => {
    const url = 'https://api.example.com/v1/x'
    const sig = signRequestHeaders({ keyId: issued.keyId, secret, method: 'GET', url })
    const r = await verifySignedRequest({ method: 'GET', url, headers: sig }, { resolveKey: resolver.resolve, nonces }, OPTIONS, Date.now())
    return r.ok ? 'ok' : r.reason
  }
  assert.equal(await verifyWith(issued.secret), 'ok')
  assert.equal(await verifyWith(issued.secret), 'ok')
  assert.equal(lookups, 1, 'second request served from the cache')
  assert.ok(!JSON.stringify([...rows.values()]).includes(issued.secret), 'the store never holds the clear secret')

  const rotated = rotateHmacSecret(box, issued.keyId, issued.sealedSecret, 60_000, Date.now())
  rows.set(issued.keyId, { ...rows.get(issued.keyId)!, keyMaterial: rotated.sealedSecret, previous: [rotated.previous] })
  resolver.invalidate(issued.keyId)
  assert.equal(await verifyWith(rotated.secret), 'ok')
  assert.equal(await verifyWith(issued.secret), 'ok', 'old secret inside the overlap')

  rows.set(issued.keyId, { ...rows.get(issued.keyId)!, revoked: true })
  resolver.invalidate(issued.keyId)
  assert.equal(await verifyWith(rotated.secret), 'unknown_keyid')
})

test('ed25519 device keys are stored as public PEM; a row sealed under another master key throws', async () => {
  const box = createSecretBox(randomBytes(32))
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString()
  const otherBox = createSecretBox(randomBytes(32))
  const rows: Record<string, StoredHmacCredential> = {
    dev: { keyId: 'dev', consumerId: 'c2', alg: 'ed25519', keyMaterial: pem },
    bad: { keyId: 'bad', consumerId: 'c3', alg: 'hmac-sha256', keyMaterial: otherBox.seal('s', 'bad') },
  }
  const resolver = createStoredKeyResolver(async (id) => rows[id] ?? null, box)
  const url = 'https://h/'
  const sig = signRequestHeaders({ keyId: 'dev', secret: privateKey, alg: 'ed25519', method: 'GET', url })
  const r = await verifySignedRequest({ method: 'GET', url, headers: sig }, { resolveKey: resolver.resolve, nonces: createMemoryNonceStore() }, OPTIONS, Date.now())
  assert.ok(r.ok)
  await assert.rejects(Promise.resolve(resolver.resolve('bad')), /failed authentication/)
})

test('cache hits arm no timers (the cache reads the clock instead of a per-millisecond timer)', async () => {
  const box = createSecretBox(randomBytes(32))
  const issued = issueHmacCredential(box)
  const resolver = createStoredKeyResolver(async () => ({ keyId: issued.keyId, consumerId: 'c1', alg: 'hmac-sha256', keyMaterial: issued.sealedSecret }), box)
  await resolver.resolve(issued.keyId)
  const original = globalThis.setTimeout
  let armed = 0
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => (armed++, original(...args))) as typeof setTimeout
  try {
    for (let i = 0; i < 3; i++) assert.notEqual(await resolver.resolve(issued.keyId), null)
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    globalThis.setTimeout = original
  }
  assert.equal(armed, 0)
})

test('a cached key is returned synchronously; a miss still resolves through the store', async () => {
  const box = createSecretBox(randomBytes(32))
  const issued = issueHmacCredential(box)
  const resolver = createStoredKeyResolver(async () => ({ keyId: issued.keyId, consumerId: 'c1', alg: 'hmac-sha256', keyMaterial: issued.sealedSecret }), box)
  const first = resolver.resolve(issued.keyId)
  assert.ok(first instanceof Promise)
  assert.equal((await first)?.keyId, issued.keyId)
  const hit = resolver.resolve(issued.keyId)
  assert.ok(!(hit instanceof Promise))
  assert.equal(hit?.keyId, issued.keyId)
  resolver.invalidate(issued.keyId)
  assert.ok(resolver.resolve(issued.keyId) instanceof Promise)
})
