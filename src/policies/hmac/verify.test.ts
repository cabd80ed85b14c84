/** The attack list from the issue, each refused with a precise reason; plus rotation and algorithm binding. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { signRequestHeaders, type SignRequestInput } from '../../signing/sign.js'
import { createMemoryNonceStore, type NonceStore } from './replay.js'
import { parseComponentSpec, verifySignedRequest, type ResolvedHmacKey, type VerifyOptions, type VerifyRequest, type VerifyResult } from './verify.js'
import { generateHmacSecret, hmacKeyFromSecret } from './credentials.js'

const NOW_MS = 1_700_000_000_000
const CREATED = NOW_MS / 1000
const KEY_ID = 'hk_test'
const SECRET = generateHmacSecret()
const OTHER_SECRET = generateHmacSecret()
const ED = generateKeyPairSync('ed25519')
const KEYS: Record<string, ResolvedHmacKey> = {
  [KEY_ID]: { keyId: KEY_ID, alg: 'hmac-sha256', secret: hmacKeyFromSecret(SECRET), consumerId: 'c1', scopes: ['read'] },
  hk_device: { keyId: 'hk_device', alg: 'ed25519', secret: ED.publicKey, consumerId: 'c2' },
}
const OPTIONS: VerifyOptions = {
  requiredComponents: ['@method', '@target-uri'].map(parseComponentSpec),
  maxAgeMs: 300_000,
  clockSkewMs: 300_000,
  requireNonce: true,
  algorithms: ['hmac-sha256', 'ed25519'],
}

function signed(input: Partial<SignRequestInput> = {}): VerifyRequest & { body?: Buffer } {
  const method = input.method ?? 'POST'
  const url = input.url ?? 'https://api.example.com/v1/transfers?currency=EUR&amount=10'
  const body = input.body === undefined ? (method === 'GET' ? undefined : '{"to":"acct-2","amount":10}') : input.body
  const headers: Record<string, string> = { host: new URL(url).host, ...(body != null ? { 'content-type': 'application/json' } : {}), ...(input.headers as Record<string, string>) }
  const sig = signRequestHeaders({ keyId: KEY_ID, secret: SECRET, created: CREATED, ...input, method, url, headers, body })
  return { method, url, headers: { ...headers, ...sig }, body: body == null ? undefined : Buffer.from(body) }
}

async function check(request: VerifyRequest, options: Partial<VerifyOptions> = {}, nonces: NonceStore = createMemoryNonceStore(), nowMs = NOW_MS): Promise<VerifyResult> {
  return verifySignedRequest(request, { resolveKey: (id) => KEYS[id] ?? null, nonces }, { ...OPTIONS, ...options }, nowMs)
}

async function reason(request: VerifyRequest, options: Partial<VerifyOptions> = {}, nonces?: NonceStore, nowMs?: number): Promise<string> {
  const r = await check(request, options, nonces, nowMs)
  return r.ok ? 'ok' : r.reason
}

test('a correctly signed request verifies and returns the key and parameters', async () => {
  const r = await check(signed())
  assert.ok(r.ok, JSON.stringify(r))
  assert.equal(r.key.consumerId, 'c1')
  assert.equal(r.signature.keyid, KEY_ID)
  assert.equal(r.signature.alg, 'hmac-sha256')
  assert.deepEqual(r.signature.components.map((c) => c[0]), ['@method', '@target-uri', 'content-type', 'content-digest'])
})

test('attack: body tampered (digest no longer matches the received body)', async () => {
  const req = signed()
  assert.equal(await reason({ ...req, body: Buffer.from('{"to":"acct-666","amount":10}') }), 'digest_mismatch')
})

test('attack: body and Content-Digest both replaced (signature covers the digest)', async () => {
  const req = signed()
  const forged = signed({ body: '{"to":"acct-666","amount":10}' })
  assert.equal(await reason({ ...req, body: forged.body, headers: { ...req.headers, 'content-digest': forged.headers['content-digest'] } }), 'signature_mismatch')
})

test('attack: query, method, path, host changed', async () => {
  const req = signed()
  assert.equal(await reason({ ...req, url: req.url.replace('amount=10', 'amount=10000') }), 'signature_mismatch')
  assert.equal(await reason({ ...req, url: `${req.url}&extra=1` }), 'signature_mismatch')
  assert.equal(await reason({ ...req, method: 'PUT' }), 'signature_mismatch')
  assert.equal(await reason({ ...req, url: req.url.replace('/v1/transfers', '/v1/transfers/../admin') }), 'signature_mismatch')
  assert.equal(await reason({ ...req, url: req.url.replace('api.example.com', 'evil.example.com') }), 'signature_mismatch')
  assert.equal(await reason({ ...req, url: req.url.replace('https:', 'http:') }), 'signature_mismatch')
})

test('attack: a required component left uncovered', async () => {
  assert.equal(await reason(signed({ components: ['@method', 'content-type', 'content-digest'] })), 'component_not_covered')
  assert.equal(await reason(signed({ components: ['@method', '@target-uri', 'content-type'] })), 'component_not_covered', 'body without content-digest')
  assert.equal(await reason(signed({ components: ['@method', '@target-uri', 'content-digest'] })), 'component_not_covered', 'content-type present but unsigned')
  const requireParam = { requiredComponents: [...OPTIONS.requiredComponents, parseComponentSpec('"@query-param";name="amount"')] }
  assert.equal(await reason(signed(), requireParam), 'component_not_covered')
  assert.equal(await reason(signed({ components: ['@method', '@target-uri', 'content-type', 'content-digest', '"@query-param";name="amount"'] }), requireParam), 'ok')
})

test('attack: stale created, created in the future, expires passed, expires before created', async () => {
  assert.equal(await reason(signed({ created: CREATED - 301 })), 'created_stale')
  assert.equal(await reason(signed({ created: CREATED - 299 })), 'ok')
  assert.equal(await reason(signed({ created: CREATED + 301 })), 'created_in_future')
  assert.equal(await reason(signed({ created: CREATED + 299 })), 'ok')
  assert.equal(await reason(signed({ expires: CREATED - 1, created: CREATED - 10 })), 'expires_passed')
  assert.equal(await reason(signed({ expires: CREATED })), 'expires_passed')
  assert.equal(await reason(signed({ expires: CREATED + 60 })), 'ok')
  assert.equal(await reason(signed({ created: CREATED, expires: CREATED - 100 })), 'expires_invalid')
})

test('attack: missing nonce; over-long nonce', async () => {
  assert.equal(await reason(signed({ nonce: false })), 'nonce_missing')
  assert.equal(await reason(signed({ nonce: 'x'.repeat(257) })), 'nonce_invalid')
  assert.equal(await reason(signed({ nonce: false }), { requireNonce: false }), 'ok', 'allowed only when configured')
})

test('attack: replay of the identical request (same process); an invalid copy does not burn the nonce', async () => {
  const nonces = createMemoryNonceStore()
  const req = signed()
  assert.equal(await reason({ ...req, method: 'DELETE' }, {}, nonces), 'signature_mismatch')
  assert.equal(await reason(req, {}, nonces), 'ok')
  assert.equal(await reason(req, {}, nonces), 'replayed')
  assert.equal(await reason(req, {}, nonces, NOW_MS + 60_000), 'replayed', 'still remembered later in the window')
  const results = await Promise.all(Array.from({ length: 20 }, () => reason(signed({ nonce: 'race' }), {}, nonces)))
  assert.equal(results.filter((r) => r === 'ok').length, 1)
})

test('attack: unknown keyid, signature made with another key, truncated signature, key expired', async () => {
  assert.equal(await reason(signed({ keyId: 'hk_nobody' })), 'unknown_keyid')
  assert.equal(await reason(signed({ secret: OTHER_SECRET })), 'signature_mismatch')
  const req = signed()
  const sig = req.headers.signature as string
  const bytes = Buffer.from(sig.slice('sig1=:'.length, -1), 'base64')
  assert.equal(await reason({ ...req, headers: { ...req.headers, signature: `sig1=:${bytes.subarray(0, 16).toString('base64')}:` } }), 'signature_mismatch')
  assert.equal(await reason({ ...req, headers: { ...req.headers, signature: 'sig1=::' } }), 'signature_mismatch')
  KEYS.hk_expired = { ...KEYS[KEY_ID]!, keyId: 'hk_expired', expiresAtMs: NOW_MS }
  assert.equal(await reason(signed({ keyId: 'hk_expired' })), 'key_expired')
})

test('attack: duplicate labels (two Signature-Input lines with the same label)', async () => {
  const a = signed()
  const b = signed({ method: 'POST', url: 'https://api.example.com/v1/other' })
  const headers = {
    ...a.headers,
    'signature-input': [a.headers['signature-input'] as string, b.headers['signature-input'] as string],
    signature: [a.headers.signature as string, b.headers.signature as string],
  }
  assert.equal(await reason({ ...a, headers }), 'signature_malformed')
})

test('attack: Content-Digest not matching the body, digest with only a deprecated algorithm', async () => {
  const req = signed()
  assert.equal(await reason({ ...req, body: Buffer.concat([req.body!, Buffer.from(' ')]) }), 'digest_mismatch')
  // Signed correctly over a Content-Digest that only carries md5: deprecated algorithms do not count.
  const headers = { host: 'api.example.com', 'content-type': 'application/json', 'content-digest': 'md5=:Sd/dVLAcvNLSq16eXua5uQ==:' }
  const url = 'https://api.example.com/v1/transfers'
  const sig = signRequestHeaders({ keyId: KEY_ID, secret: SECRET, created: CREATED, method: 'POST', url, headers, components: ['@method', '@target-uri', 'content-type', 'content-digest'] })
  assert.equal(await reason({ method: 'POST', url, headers: { ...headers, ...sig }, body: Buffer.from('{"hello": "world"}') }), 'digest_unsupported')
})

test('attack: algorithm confusion — alg parameter must match the key; HMAC with a public key fails', async () => {
  const withEdAlg = signed({ alg: 'hmac-sha256' })
  const relabelled = { ...withEdAlg, headers: { ...withEdAlg.headers, 'signature-input': (withEdAlg.headers['signature-input'] as string).replace('alg="hmac-sha256"', 'alg="ed25519"') } }
  assert.equal(await reason(relabelled), 'alg_mismatch')
  const pub = ED.publicKey.export({ format: 'der', type: 'spki' })
  const confused = signed({ keyId: 'hk_device', secret: pub, alg: 'hmac-sha256' })
  assert.equal(await reason(confused), 'alg_mismatch')
  assert.equal(await reason(signed({ keyId: 'hk_device', secret: ED.privateKey, alg: 'ed25519' })), 'ok')
  assert.equal(await reason(signed({ keyId: 'hk_device', secret: ED.privateKey, alg: 'ed25519' }), { algorithms: ['hmac-sha256'] }), 'alg_not_allowed')
  const noAlg = signed()
  const stripped = { ...noAlg, headers: { ...noAlg.headers, 'signature-input': (noAlg.headers['signature-input'] as string).replace(';alg="hmac-sha256"', '') } }
  assert.equal(await reason(stripped), 'signature_mismatch', 'the params line is signed, so removing alg breaks it')
})

test('missing or half-present signature fields', async () => {
  const req = signed()
  const { signature: _s, ...noSig } = req.headers as Record<string, string>
  assert.equal(await reason({ ...req, headers: noSig }), 'signature_malformed')
  const { 'signature-input': _i, signature: _s2, ...neither } = req.headers as Record<string, string>
  assert.equal(await reason({ ...req, headers: neither }), 'signature_missing')
})

test('several signatures: a junk one does not hide a valid one; label option restricts', async () => {
  const good = signed({ label: 'good' })
  const headers = {
    ...good.headers,
    'signature-input': `junk=("@method" "@target-uri" "content-type" "content-digest");created=${CREATED};keyid="hk_nobody";nonce="x", ${good.headers['signature-input']}`,
    signature: `junk=:AAAA:, ${good.headers.signature}`,
  }
  assert.equal(await reason({ ...good, headers }), 'ok')
  assert.equal(await reason({ ...good, headers }, { label: 'junk' }), 'unknown_keyid')
  assert.equal(await reason({ ...good, headers }, { label: 'other' }), 'label_not_found')
})

test('rotation with overlap: the previous secret works until notAfterMs', async () => {
  const newSecret = generateHmacSecret()
  KEYS.hk_rot = {
    keyId: 'hk_rot', alg: 'hmac-sha256', secret: hmacKeyFromSecret(newSecret), consumerId: 'c3',
    previousSecrets: [{ secret: hmacKeyFromSecret(SECRET), notAfterMs: NOW_MS + 1000 }],
  }
  const old = await check(signed({ keyId: 'hk_rot', secret: SECRET }))
  assert.ok(old.ok && old.usedPreviousSecret)
  const fresh = await check(signed({ keyId: 'hk_rot', secret: newSecret }))
  assert.ok(fresh.ok && !fresh.usedPreviousSecret)
  assert.equal(await reason(signed({ keyId: 'hk_rot', secret: SECRET, created: CREATED + 2 }), {}, undefined, NOW_MS + 2000), 'signature_mismatch')
})

test('the MAC key is the UTF-8 bytes of the secret string (CONTRACT), not its base64url decoding', async () => {
  const req = signed({ secret: Buffer.from(SECRET, 'base64url') })
  assert.equal(await reason(req), 'signature_mismatch')
  assert.equal(await reason(signed({ secret: Buffer.from(SECRET, 'utf8') })), 'ok')
})

test('synchronous, promise and foreign-thenable resolvers verify alike, and the nonce is spent once', async () => {
  const resolvers = [
    (id: string) => KEYS[id] ?? null,
    async (id: string) => KEYS[id] ?? null,
    // A non-native thenable (e.g. another promise library) must be awaited, not taken for a key.
    (id: string) => ({ then: (ok: (key: ResolvedHmacKey | null) => void) => ok(KEYS[id] ?? null) }) as unknown as PromiseLike<ResolvedHmacKey | null>,
  ]
  for (const resolveKey of resolvers) {
    const request = signed()
    const nonces = createMemoryNonceStore()
    const first = await verifySignedRequest(request, { resolveKey: resolveKey as never, nonces }, OPTIONS, NOW_MS)
    assert.equal(first.ok, true)
    const again = await verifySignedRequest(request, { resolveKey: resolveKey as never, nonces }, OPTIONS, NOW_MS)
    assert.equal(again.ok ? 'ok' : again.reason, 'replayed')
    const unknown = await verifySignedRequest(signed({ keyId: 'hk_nobody' }), { resolveKey: resolveKey as never, nonces }, OPTIONS, NOW_MS)
    assert.equal(unknown.ok ? 'ok' : unknown.reason, 'unknown_keyid')
  }
})

test('a required component with several parameters is matched whatever their order', async () => {
  const url = 'https://api.example.com/v1/transfers?currency=EUR&amount=10'
  const required = { requiredComponents: [...OPTIONS.requiredComponents, parseComponentSpec('"content-digest";sf;key="sha-256"')] }
  const request = signed({ url, components: ['@method', '@target-uri', 'content-type', 'content-digest', '"content-digest";key="sha-256";sf'] })
  assert.equal((await check(request, required)).ok, true)
  const without = signed({ url })
  const r = await check(without, required)
  assert.equal(r.ok ? 'ok' : r.reason, 'component_not_covered')
})
