/**
 * RFC 9421 Appendix B and §2.2 vectors, byte for byte (see /work/shared/standards/auth-vectors.md).
 * Keys are the RFC's published test keys (B.1), which are test data, not secrets.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createHmac, createPrivateKey, createPublicKey, constants, sign, verify } from 'node:crypto'
import { parseItem } from 'structured-headers'
import { buildSignatureBase, componentValue, splitUri, serializeSignatureParams, SignatureBaseError, type SignedRequestParts } from './signature-base.js'
import { parseSignatureFields } from './signature-input.js'
import { createMemoryNonceStore } from './replay.js'
import { verifySignedRequest, type VerifyOptions } from './verify.js'

const SHARED_SECRET = Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==', 'base64')
const ED25519_PRIVATE = createPrivateKey({ key: Buffer.from('MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF', 'base64'), format: 'der', type: 'pkcs8' })
const ED25519_PUBLIC = createPublicKey({ key: Buffer.from('MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=', 'base64'), format: 'der', type: 'spki' })
const RSA_PSS_PUBLIC = createPublicKey(`-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----`)

/** B.2 test-request. */
const TEST_REQUEST: SignedRequestParts = {
  method: 'POST',
  url: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  },
}
const TEST_BODY = Buffer.from('{"hello": "world"}')

function baseFor(request: SignedRequestParts, signatureInput: string, signature: string): { base: string; sig: Buffer } {
  const parsed = [...parseSignatureFields(signatureInput, signature).values()][0]!
  return { base: buildSignatureBase(request, parsed.components, parsed.signatureParams), sig: parsed.signature }
}

test('B.2.5 hmac-sha256: base, MAC and both header fields byte for byte', () => {
  const components = ['date', '@authority', 'content-type'].map((n) => parseItem(`"${n}"`))
  const params = new Map<string, string | number>([['created', 1618884473], ['keyid', 'test-shared-secret']])
  const signatureParams = serializeSignatureParams(components, params)
  const base = buildSignatureBase(TEST_REQUEST, components, signatureParams)
  assert.equal(
    base,
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@authority": example.com\n"content-type": application/json\n' +
      '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
  )
  assert.equal(Buffer.byteLength(base), 200)
  assert.equal(createHash('sha256').update(base).digest('hex'), '82faed1b67e492cfc8fe50fee1b6fdbdcf9f4d6384af8282339dcad5e44310e7')
  const mac = createHmac('sha256', SHARED_SECRET).update(base).digest()
  assert.equal(mac.toString('hex'), 'a71710c3a1b7023b4c0508f0a3c5f39197ff6f0b392de95b68c939ac6206b44f')
  assert.equal(`sig-b25=${signatureParams}`, 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"')
  assert.equal(`sig-b25=:${mac.toString('base64')}:`, 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:')
})

test('B.2.5 through the verifier: accepted at the RFC clock, keyed by the decoded shared secret', async () => {
  const headers = {
    ...TEST_REQUEST.headers,
    'signature-input': 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    signature: 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:',
  }
  const options: VerifyOptions = {
    requiredComponents: [], maxAgeMs: 300_000, clockSkewMs: 300_000, requireNonce: false,
    algorithms: ['hmac-sha256'], protectContent: false,
  }
  const resolveKey = (id: string) => (id === 'test-shared-secret' ? { keyId: id, alg: 'hmac-sha256' as const, secret: SHARED_SECRET, consumerId: 'c1' } : null)
  const result = await verifySignedRequest({ ...TEST_REQUEST, headers, body: TEST_BODY }, { resolveKey, nonces: createMemoryNonceStore() }, options, 1618884473_000)
  assert.equal(result.ok, true, JSON.stringify(result))
  // Negative control from auth-vectors §1.5: the Base64 text of the secret instead of its bytes.
  const wrongKey = (id: string) => ({ ...resolveKey(id)!, secret: Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==') })
  const bad = await verifySignedRequest({ ...TEST_REQUEST, headers, body: TEST_BODY }, { resolveKey: wrongKey, nonces: createMemoryNonceStore() }, options, 1618884473_000)
  assert.deepEqual([bad.ok, !bad.ok && bad.reason], [false, 'signature_mismatch'])
})

test('B.2.6 ed25519: base (284 bytes) and deterministic signature byte for byte', () => {
  const { base, sig } = baseFor(
    TEST_REQUEST,
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  )
  assert.equal(
    base,
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n"@authority": example.com\n' +
      '"content-type": application/json\n"content-length": 18\n' +
      '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  )
  assert.equal(Buffer.byteLength(base), 284)
  assert.deepEqual(sign(null, Buffer.from(base), ED25519_PRIVATE), sig)
  assert.equal(verify(null, Buffer.from(base), ED25519_PUBLIC, sig), true)
})

const PSS = { key: RSA_PSS_PUBLIC, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }
const PSS_VECTORS: [string, string, string][] = [
  ['B.2.1 minimal', 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    'sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:'],
  ['B.2.2 @query-param + content-digest', 'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    'sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:'],
  ['B.2.3 full coverage', 'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    'sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:'],
]
for (const [name, input, signature] of PSS_VECTORS) {
  test(`${name} (rsa-pss-sha512, verify-only): our base verifies the published signature`, () => {
    const { base, sig } = baseFor(TEST_REQUEST, input, signature)
    assert.equal(verify('sha512', Buffer.from(base), PSS, sig), true)
    assert.equal(verify('sha512', Buffer.from(`${base}\n`), PSS, sig), false, 'trailing LF must break it')
  })
}

test('§2.2 derived components for test-request', () => {
  const uri = splitUri(TEST_REQUEST.url)
  const value = (id: string) => componentValue(TEST_REQUEST, uri, parseItem(id))
  assert.equal(value('"@method"'), 'POST')
  assert.equal(value('"@target-uri"'), 'https://example.com/foo?param=Value&Pet=dog')
  assert.equal(value('"@authority"'), 'example.com')
  assert.equal(value('"@scheme"'), 'https')
  assert.equal(value('"@request-target"'), '/foo?param=Value&Pet=dog')
  assert.equal(value('"@path"'), '/foo')
  assert.equal(value('"@query"'), '?param=Value&Pet=dog')
  assert.equal(value('"@query-param";name="Pet"'), 'dog')
  assert.throws(() => value('"@status"'), SignatureBaseError)
  assert.throws(() => value('"@foo"'), SignatureBaseError)
  assert.throws(() => value('"@method";req'), SignatureBaseError)
  assert.throws(() => value('"content-type";req'), SignatureBaseError)
})

test('§2.2.8 @query-param encoding examples', () => {
  const request = { method: 'GET', headers: {}, url: 'https://example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something&qux=' }
  const uri = splitUri(request.url)
  const value = (id: string) => componentValue(request, uri, parseItem(id))
  assert.equal(value('"@query-param";name="var"'), 'this%20is%20a%20big%0Amultiline%20value')
  assert.equal(value('"@query-param";name="bar"'), 'with%20plus%20whitespace')
  assert.equal(value('"@query-param";name="fa%C3%A7ade%22%3A%20"'), 'something')
  assert.equal(value('"@query-param";name="qux"'), '')
  assert.throws(() => value('"@query-param";name="missing"'), /absent/)
  assert.throws(() => value('"@query-param"'), /needs a name/)
  const repeated = { ...request, url: 'https://example.com/?a=1&a=2' }
  assert.throws(() => componentValue(repeated, splitUri(repeated.url), parseItem('"@query-param";name="a"')), /repeated/)
})

test('§2.2 edge cases: empty path, absent query, default port, upper-case host', () => {
  const uri = splitUri('HTTPS://Example.COM:443')
  assert.deepEqual(uri, { scheme: 'https', authority: 'example.com', path: '/', query: undefined })
  const request = { method: 'get', headers: {}, url: 'HTTPS://Example.COM:443' }
  assert.equal(componentValue(request, uri, parseItem('"@query"')), '?')
  assert.equal(componentValue(request, uri, parseItem('"@method"')), 'get', 'method case is preserved')
  assert.equal(splitUri('http://h:8080/a%2Fb?x').authority, 'h:8080')
  assert.equal(splitUri('http://h:8080/a%2Fb?x').path, '/a%2Fb', 'path is not decoded')
  assert.equal(splitUri('http://[::1]:80/').authority, '[::1]')
})

test('§2.1 fields: multiple lines joined with ", ", trimmed, empty allowed; sf / key / bs parameters', () => {
  const request = {
    method: 'GET', url: 'https://example.com/',
    headers: {
      'x-multi': [' a ', 'b'], 'x-empty': '',
      'example-dict': ' a=1,    b=2;x=1;y=2,   c=(a   b   c)',
      'content-digest': 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,   sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    },
  }
  const uri = splitUri(request.url)
  const value = (id: string) => componentValue(request, uri, parseItem(id))
  assert.equal(value('"x-multi"'), 'a, b')
  assert.equal(value('"x-empty"'), '')
  assert.equal(value('"x-multi";bs'), ':YQ==:, :Yg==:')
  assert.equal(value('"content-digest";key="sha-256"'), ':X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:')
  assert.match(value('"content-digest";sf'), /^sha-256=:X48E.*=:, sha-512=:WZDP.*==:$/)
  assert.throws(() => value('"x-multi";bs;sf'), /bs cannot/)
  assert.throws(() => value('"x-multi";foo'), /unknown component parameter/)
  assert.throws(() => value('"x-absent"'), /absent/)
  assert.throws(() => value('"content-digest";key="md5"'), /absent/)
  const base = buildSignatureBase(request, [parseItem('"x-empty"')], '("x-empty")')
  assert.equal(base, '"x-empty": \n"@signature-params": ("x-empty")', 'empty value keeps the trailing space')
})

test('§2.5 base errors: duplicate identifier, @signature-params covered, non-ASCII value, header named @method ignored', () => {
  const request = { method: 'POST', url: 'https://example.com/?a=1', headers: { '@method': 'GET', 'x-latin': 'caf\u00e9' } }
  assert.throws(() => buildSignatureBase(request, [parseItem('"@method"'), parseItem('"@method"')], '()'), /covered twice/)
  assert.throws(() => buildSignatureBase(request, [parseItem('"@query-param";name="a"'), parseItem('"@query-param";name="a"')], '()'), /covered twice/)
  assert.throws(() => buildSignatureBase(request, [parseItem('"@signature-params"')], '()'), /cannot be covered/)
  assert.throws(() => buildSignatureBase(request, [parseItem('"x-latin"')], '()'), /non-ASCII/)
  assert.equal(buildSignatureBase(request, [parseItem('"@method"')], '("@method")'), '"@method": POST\n"@signature-params": ("@method")')
})
