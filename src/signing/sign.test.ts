import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createHmac, generateKeyPairSync, verify } from 'node:crypto'
import { signFetchRequest, signRequestHeaders } from './sign.js'
import { verifySignedRequest, parseComponentSpec, type VerifyOptions } from '../policies/hmac/verify.js'
import { createMemoryNonceStore } from '../policies/hmac/replay.js'

const SECRET = 'Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkwYWJjZGVmZ2g'

test('headers byte for byte for a fixed created/nonce (base written out independently)', () => {
  const body = '{"amount":10}'
  const out = signRequestHeaders({
    keyId: 'hk_abc', secret: SECRET, created: 1700000000, nonce: 'n0nce',
    method: 'POST', url: 'https://API.example.com:443/v1/transfers?b=2&a=1', headers: { 'Content-Type': 'application/json' }, body,
  })
  const digest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`
  const params = '("@method" "@target-uri" "content-type" "content-digest");created=1700000000;keyid="hk_abc";alg="hmac-sha256";nonce="n0nce"'
  const base = [
    '"@method": POST',
    '"@target-uri": https://api.example.com/v1/transfers?b=2&a=1',
    '"content-type": application/json',
    `"content-digest": ${digest}`,
    `"@signature-params": ${params}`,
  ].join('\n')
  assert.deepEqual(out, {
    'content-digest': digest,
    'signature-input': `sig1=${params}`,
    signature: `sig1=:${createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(base).digest('base64')}:`,
  })
})

test('defaults: no body → no Content-Digest and only @method @target-uri; expires, label and sha-512 options', () => {
  const get = signRequestHeaders({ keyId: 'k', secret: SECRET, method: 'GET', url: 'http://h/x' })
  assert.equal(get['content-digest'], undefined)
  assert.match(get['signature-input'], /^sig1=\("@method" "@target-uri"\);created=\d+;keyid="k";alg="hmac-sha256";nonce="[A-Za-z0-9_-]{32}"$/)
  const other = signRequestHeaders({ keyId: 'k', secret: SECRET, method: 'PUT', url: 'http://h/x', body: new Uint8Array([1]), label: 'app', expires: 2000000000, digestAlgorithm: 'sha-512', created: 1 })
  assert.match(other['content-digest']!, /^sha-512=:/)
  assert.match(other['signature-input'], /^app=\("@method" "@target-uri" "content-digest"\);created=1;expires=2000000000;keyid="k"/)
  assert.match(other.signature, /^app=:/)
})

test('nonces are fresh per call; a covered header that is absent is an error', () => {
  const a = signRequestHeaders({ keyId: 'k', secret: SECRET, method: 'GET', url: 'http://h/' })
  const b = signRequestHeaders({ keyId: 'k', secret: SECRET, method: 'GET', url: 'http://h/' })
  assert.notEqual(a['signature-input'], b['signature-input'])
  assert.throws(() => signRequestHeaders({ keyId: 'k', secret: SECRET, method: 'GET', url: 'http://h/', components: ['x-absent'] }), /absent/)
})

test('pooled nonces stay unique and well-formed across pool refills', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    const nonce = /;nonce="([^"]*)"/.exec(signRequestHeaders({ keyId: 'k', secret: SECRET, method: 'GET', url: 'http://h/' })['signature-input'])![1]!
    assert.match(nonce, /^[A-Za-z0-9_-]{32}$/)
    seen.add(nonce)
  }
  assert.equal(seen.size, 1000)
})

test('ed25519 with a PEM private key; signature verifies with the public key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const out = signRequestHeaders({ keyId: 'dev-1', secret: pem, alg: 'ed25519', created: 5, nonce: 'n', method: 'GET', url: 'https://h/a' })
  const base = '"@method": GET\n"@target-uri": https://h/a\n"@signature-params": ("@method" "@target-uri");created=5;keyid="dev-1";alg="ed25519";nonce="n"'
  const sig = Buffer.from(out.signature.slice('sig1=:'.length, -1), 'base64')
  assert.equal(verify(null, Buffer.from(base), publicKey, sig), true)
})

test('signFetchRequest keeps method, URL, body and other headers; accepts a Headers object', async () => {
  const original = new Request('http://h.example/p?q=1', { method: 'POST', body: 'hello', headers: new Headers({ 'x-trace': 't1', 'content-type': 'text/plain' }) })
  const signed = await signFetchRequest(original, { keyId: 'k', secret: SECRET })
  assert.equal(signed.method, 'POST')
  assert.equal(signed.url, 'http://h.example/p?q=1')
  assert.equal(signed.headers.get('x-trace'), 't1')
  assert.ok(signed.headers.get('signature')?.startsWith('sig1=:'))
  assert.equal(signed.headers.get('content-digest'), `sha-256=:${createHash('sha256').update('hello').digest('base64')}:`)
  assert.equal(await signed.text(), 'hello')
})

const OPTIONS: VerifyOptions = {
  requiredComponents: ['@method', '@target-uri'].map(parseComponentSpec),
  maxAgeMs: 300_000, clockSkewMs: 300_000, requireNonce: true, algorithms: ['hmac-sha256'],
}

test('signer → verifier round trips: every method, with and without bodies, query params, non-ASCII paths', async () => {
  const nonces = createMemoryNonceStore()
  const resolveKey = (id: string) => (id === 'k' ? { keyId: 'k', alg: 'hmac-sha256' as const, secret: Buffer.from(SECRET), consumerId: 'c' } : null)
  const urls = ['https://api.example.com/', 'https://api.example.com/v1/ünï/日本?x=a b&y=1+1&z=%2F&e=😀', 'http://127.0.0.1:8080/a%20b?&&a=']
  let verified = 0
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'QUERY']) {
    for (const url of urls) {
      for (const body of [undefined, '', '{"ü":1}', new Uint8Array([0, 255])]) {
        const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/octet-stream' }
        const sig = signRequestHeaders({ keyId: 'k', secret: SECRET, method, url, headers, body })
        // The verifier sees the URL as it travels on the wire (what fetch would send).
        const wire = new URL(url)
        const r = await verifySignedRequest(
          { method, url: `${wire.protocol}//${wire.host}${wire.pathname}${wire.search}`, headers: { ...headers, ...sig }, body: body === undefined ? undefined : Buffer.from(body) },
          { resolveKey, nonces }, OPTIONS, Date.now(),
        )
        assert.ok(r.ok, `${method} ${url} ${String(body)}: ${JSON.stringify(r)}`)
        verified++
      }
    }
  }
  assert.equal(verified, 8 * 3 * 4)
})
