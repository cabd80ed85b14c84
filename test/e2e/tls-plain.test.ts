/**
 * The plain-HTTP listener policy: serve (credentials from non-loopback clients refused with
 * ERR_INSECURE_TRANSPORT), redirect (308 to HTTPS), or off. A non-loopback client is simulated the
 * way it reaches a real deployment: through a trusted proxy that forwards over plain HTTP.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { request } from 'undici'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'
import { createTestPki, type IssuedCertificate, type TestPki } from '../../src/tls/test-pki.js'
import { h1Request } from '../../src/tls/test-clients.js'

let pki: TestPki
let ca: string
let server: IssuedCertificate
let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>

const REMOTE = { 'x-forwarded-for': '203.0.113.7' }
const CREDENTIALS: Record<string, Record<string, string>> = {
  'X-API-Key': { 'x-api-key': 'pk_live_0123456789abcdef' },
  'Authorization: Bearer': { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig' },
  Signature: { 'signature-input': 'sig1=("@method");created=1;keyid="k1"', signature: 'sig1=:AAAA:' },
}

const httpsConfig = () => ({ host: '127.0.0.1', port: 0, certificates: [{ cert: server.cert, key: server.key }] })

before(async () => {
  pki = await createTestPki('plain')
  ca = await readFile(pki.caCert, 'utf8')
  server = await pki.issue('server', { commonName: 'localhost', subjectAltName: 'DNS:localhost,IP:127.0.0.1', usage: 'server' })
  upstream = await startUpstream(echoHandler)
  gw = await startGateway({
    ...simpleConfig(upstream.url),
    // The loopback peer is a trusted proxy: X-Forwarded-For names the real (remote) client.
    trustedProxies: ['127.0.0.1/32'],
    listen: { http: { host: '127.0.0.1', port: 0 }, https: httpsConfig() },
  })
})
after(async () => {
  await gw.stop()
  await upstream.close()
  await pki.cleanup()
})

for (const [kind, headers] of Object.entries(CREDENTIALS)) {
  test(`${kind} over plain HTTP from a non-loopback client → 403 ERR_INSECURE_TRANSPORT, never forwarded`, async () => {
    let forwarded = 0
    const count = (): void => void forwarded++
    upstream.server.on('request', count)
    try {
      const res = await request(`${gw.url}/data`, { headers: { ...headers, ...REMOTE } })
      assert.equal(res.statusCode, 403)
      const problem = (await res.body.json()) as { code: string; detail: string }
      assert.equal(problem.code, 'ERR_INSECURE_TRANSPORT')
      assert.match(problem.detail, /plain HTTP/)
      assert.match(problem.detail, /rotate/)
      assert.equal(forwarded, 0)
    } finally {
      upstream.server.off('request', count)
    }
  })
}

test('the same credential is accepted over HTTPS, from a loopback client, or via a trusted proxy that says https', async () => {
  const key = CREDENTIALS['X-API-Key']!
  const overTls = await h1Request(`${gw.gateway.httpsUrl}/data`, { ca, servername: 'localhost' }, { headers: { ...key, ...REMOTE } })
  assert.equal(overTls.status, 200)
  const loopback = await request(`${gw.url}/data`, { headers: key })
  assert.equal(loopback.statusCode, 200)
  await loopback.body.text()
  const terminated = await request(`${gw.url}/data`, { headers: { ...key, ...REMOTE, 'x-forwarded-proto': 'https' } })
  assert.equal(terminated.statusCode, 200)
  await terminated.body.text()
})

test('a remote request without credentials is served over plain HTTP', async () => {
  const res = await request(`${gw.url}/data`, { headers: REMOTE })
  assert.equal(res.statusCode, 200)
  await res.body.text()
})

test('credentials: refuse also refuses loopback clients', async () => {
  const strict = await startGateway({ ...simpleConfig(upstream.url), listen: { http: { host: '127.0.0.1', port: 0, credentials: 'refuse' } } })
  try {
    const res = await request(`${strict.url}/data`, { headers: CREDENTIALS['X-API-Key']! })
    assert.equal(res.statusCode, 403)
    assert.equal(((await res.body.json()) as { code: string }).code, 'ERR_INSECURE_TRANSPORT')
  } finally {
    await strict.stop()
  }
})

test('mode: redirect answers 308 to the same path on the HTTPS listener, keeping the method', async () => {
  const redirecting = await startGateway({
    ...simpleConfig(upstream.url),
    trustedProxies: ['127.0.0.1/32'],
    listen: { http: { host: '127.0.0.1', port: 0, mode: 'redirect' }, https: { ...httpsConfig(), hsts: { maxAge: 0 } } },
  })
  try {
    const httpsPort = new URL(redirecting.gateway.httpsUrl).port
    const get = await request(`${redirecting.url}/v1/stations?limit=2`, { headers: { host: 'api.example.test:8080' } })
    assert.equal(get.statusCode, 308)
    assert.equal(get.headers.location, `https://api.example.test:${httpsPort}/v1/stations?limit=2`)
    await get.body.text()
    const post = await request(`${redirecting.url}/v1/stations`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    assert.equal(post.statusCode, 308)
    await post.body.text()
    // A credential that already crossed the network in clear is refused, not silently redirected.
    const leaked = await request(`${redirecting.url}/v1/stations`, { headers: { ...CREDENTIALS['X-API-Key']!, ...REMOTE } })
    assert.equal(leaked.statusCode, 403)
    assert.equal(((await leaked.body.json()) as { code: string }).code, 'ERR_INSECURE_TRANSPORT')
    const badHost = await request(`${redirecting.url}/x`, { headers: { host: 'evil.test/@other' } })
    assert.equal(badHost.statusCode, 400)
    await badHost.body.text()
    // HTTPS still serves, without HSTS here (maxAge 0 turns it off).
    const secure = await h1Request(`${redirecting.gateway.httpsUrl}/x`, { ca, servername: 'localhost' })
    assert.equal(secure.status, 200)
    assert.equal(secure.headers['strict-transport-security'], undefined)
  } finally {
    await redirecting.stop()
  }
})

test('mode: off opens no plain listener', async () => {
  const off = await startGateway({ ...simpleConfig(upstream.url), listen: { http: { host: '127.0.0.1', port: 0, mode: 'off' }, https: httpsConfig() } })
  try {
    assert.match(off.gateway.url, /^https:\/\//)
    const res = await h1Request(`${off.gateway.httpsUrl}/x`, { ca, servername: 'localhost' })
    assert.equal(res.status, 200)
    // Nothing answers plain HTTP on the HTTPS port either: the TLS server drops a cleartext request.
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(off.gateway.httpsUrl).port), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
      let data = ''
      socket.on('data', (c: Buffer) => (data += c.toString('latin1')))
      socket.on('close', () => resolve(data))
      socket.on('error', () => resolve(data))
    })
    assert.doesNotMatch(reply, /^HTTP\/1\.1 200/)
  } finally {
    await off.stop()
  }
})
