/**
 * The HTTPS listener over real sockets: protocol versions and cipher suites, HTTP/1.1 and HTTP/2 on
 * one port (ALPN) through the same pipeline, SNI, HSTS, certificate hot reload without dropping a
 * connection, and the development certificate. Every certificate is generated here by openssl.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { X509Certificate } from 'node:crypto'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'
import { createTestPki, type IssuedCertificate, type TestPki } from '../../src/tls/test-pki.js'
import { h1Request, h2Request, h2Session, tlsHandshake } from '../../src/tls/test-clients.js'
import { TLS12_CIPHERS, TLS13_SUITES } from '../../src/tls/tls-profile.js'
import { ensureDevCertificate, DEV_CERTIFICATE_LABEL } from '../../src/tls/dev-certificate.js'
import type { SecurityEvent } from '../../src/core/events.js'

let pki: TestPki
let ca: string
let served: { dir: string; cert: string; key: string }
let first: IssuedCertificate
let wildcard: IssuedCertificate
let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>
let port: number

before(async () => {
  pki = await createTestPki('listener')
  ca = await readFile(pki.caCert, 'utf8')
  first = await pki.issue('first', { commonName: 'localhost', subjectAltName: 'DNS:localhost,IP:127.0.0.1', usage: 'server' })
  wildcard = await pki.issue('wildcard', { commonName: 'wildcard', subjectAltName: 'DNS:*.api.test', usage: 'server' })
  // The served files are copies, so the reload test can replace them.
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-served-'))
  served = { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }
  await copyFile(first.cert, served.cert)
  await copyFile(first.key, served.key)
  upstream = await startUpstream(echoHandler)
  new WebSocketServer({ server: upstream.server }).on('connection', (socket, req) =>
    socket.on('message', (data) => socket.send(`${data.toString()} via ${req.headers['x-forwarded-proto']}`)),
  )
  gw = await startGateway({
    ...simpleConfig(upstream.url, {
      routes: [
        { name: 'guarded', match: { path: '/guarded/*' }, upstream: 'app', policies: [{ name: 'ip-filter', config: { deny: ['127.0.0.0/8', '::1/128'] } }] },
        { name: 'allowed', match: { path: '/allowed/*' }, upstream: 'app', policies: [{ name: 'ip-filter', config: { allow: ['127.0.0.0/8'] } }] },
        { name: 'ws', match: { path: '/ws' }, upstream: 'app', websocket: true },
        { name: 'all', match: { path: '/*' }, upstream: 'app' },
      ],
    }),
    listen: {
      http: { host: '127.0.0.1', port: 0 },
      https: {
        host: '127.0.0.1',
        port: 0,
        certificates: [{ cert: served.cert, key: served.key }, { cert: wildcard.cert, key: wildcard.key }],
        hsts: { maxAge: '180d', includeSubDomains: true },
      },
    },
  })
  port = Number(new URL(gw.gateway.httpsUrl).port)
})
after(async () => {
  await gw.stop()
  await upstream.close()
  await pki.cleanup()
  await rm(served.dir, { recursive: true, force: true })
})

/** A TLS server that accepts everything down to TLS 1.0: proves the test client can speak 1.0/1.1. */
async function legacyServer(): Promise<{ server: TlsServer; port: number }> {
  const server = createTlsServer({ cert: first.certPem, key: first.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end())
  server.on('tlsClientError', () => undefined)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port }
}

for (const version of ['TLSv1', 'TLSv1.1'] as const) {
  test(`${version} is refused by the HTTPS listener`, async () => {
    const legacy = await legacyServer()
    const client = { servername: 'localhost', ca, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' } as const
    try {
      const control = await tlsHandshake(legacy.port, client)
      assert.equal(control.protocol, version, 'control: the client does speak this version')
    } finally {
      legacy.server.close()
    }
    await assert.rejects(tlsHandshake(port, client), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION')
      return true
    })
  })
}

test('TLS 1.3 is accepted (and preferred) with an AEAD suite', async () => {
  const result = await tlsHandshake(port, { servername: 'localhost', ca })
  assert.equal(result.protocol, 'TLSv1.3')
  assert.ok(TLS13_SUITES.includes(result.cipher), result.cipher)
})

test('TLS 1.2 is accepted, only with forward-secret AEAD suites', async () => {
  const result = await tlsHandshake(port, { servername: 'localhost', ca, maxVersion: 'TLSv1.2' })
  assert.equal(result.protocol, 'TLSv1.2')
  assert.ok(TLS12_CIPHERS.includes(result.cipher), result.cipher)
  assert.match(result.cipher, /^ECDHE-.*(GCM|CHACHA20)/)
  // A client offering only CBC suites, or only static-RSA key exchange, finds nothing in common.
  for (const weak of ['ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384', 'AES128-GCM-SHA256:AES256-SHA']) {
    await assert.rejects(tlsHandshake(port, { servername: 'localhost', ca, maxVersion: 'TLSv1.2', ciphers: weak }), /handshake failure|no shared cipher/i)
  }
})

test('ALPN negotiates h2 or http/1.1 on the same port', async () => {
  assert.equal((await tlsHandshake(port, { servername: 'localhost', ca, ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'h2')
  assert.equal((await tlsHandshake(port, { servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] })).alpn, 'http/1.1')
  const h1 = await h1Request(`${gw.gateway.httpsUrl}/hello`, { ca, servername: 'localhost' })
  assert.equal(h1.status, 200)
  assert.equal(h1.alpn, 'http/1.1')
  assert.equal((JSON.parse(h1.body) as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https')
})

test('an HTTP/2 request runs the route pipeline: ip-filter refuses with a problem, allows with the echo', async () => {
  const session = await h2Session(gw.gateway.httpsUrl, { ca, servername: 'localhost' })
  try {
    const denied = await h2Request(session, '/guarded/x')
    assert.equal(denied.status, 403)
    assert.equal(denied.headers['content-type'], 'application/problem+json')
    assert.equal((JSON.parse(denied.body) as { code: string }).code, 'ERR_IP_DENIED')
    assert.ok(denied.headers['x-request-id'])
    assert.equal(denied.headers.connection, undefined)

    const allowed = await h2Request(session, '/allowed/x?q=1', { method: 'POST', headers: { 'content-type': 'text/plain', 'x-portcullis-consumer': 'forged' }, body: 'over h2' })
    assert.equal(allowed.status, 200)
    const echoed = JSON.parse(allowed.body) as { method: string; url: string; body: string; headers: Record<string, string> }
    assert.equal(echoed.method, 'POST')
    assert.equal(echoed.url, '/allowed/x?q=1')
    assert.equal(echoed.body, 'over h2')
    assert.equal(echoed.headers['x-forwarded-proto'], 'https')
    assert.equal(echoed.headers['x-forwarded-host'], `localhost:${port}`)
    assert.equal(echoed.headers['x-portcullis-consumer'], undefined)
    assert.deepEqual(Object.keys(echoed.headers).filter((h) => h.startsWith(':')), [], 'no pseudo-header reaches the upstream')
    assert.equal(allowed.headers['strict-transport-security'], 'max-age=15552000; includeSubDomains')

    // HTTP/2 bodies need no content-length: a streamed body still reaches the upstream.
    const streamed = await h2Request(session, '/allowed/stream', { method: 'PUT', body: 'no declared length', declareLength: false })
    assert.equal(streamed.status, 200)
    assert.equal((JSON.parse(streamed.body) as { body: string }).body, 'no declared length')
  } finally {
    session.close()
  }
})

test('WebSocket upgrades work over TLS (HTTP/1.1 on the h2-capable listener)', async () => {
  const ws = new WebSocket(`${gw.gateway.httpsUrl.replace('https', 'wss')}/ws`, { ca })
  try {
    await once(ws, 'open')
    ws.send('hello')
    const [message] = (await once(ws, 'message')) as [Buffer]
    assert.equal(message.toString(), 'hello via https')
  } finally {
    ws.close()
  }
})

test('SNI selects the certificate; an unknown name gets the default one', async () => {
  const cnFor = async (servername: string): Promise<string> =>
    String((await tlsHandshake(port, { servername, ca, checkServerIdentity: () => undefined })).peer.subject.CN)
  assert.equal(await cnFor('localhost'), 'localhost')
  assert.equal(await cnFor('eu.api.test'), 'wildcard')
  assert.equal(await cnFor('deep.eu.api.test'), 'localhost', 'a wildcard covers one label only')
  assert.equal(await cnFor('unknown.example'), 'localhost')
})

test('HSTS is sent over HTTPS only', async () => {
  const plain = await request(`${gw.url}/x`)
  await plain.body.text()
  assert.equal(plain.headers['strict-transport-security'], undefined)
  const secure = await h1Request(`${gw.gateway.httpsUrl}/x`, { ca, servername: 'localhost' })
  assert.equal(secure.headers['strict-transport-security'], 'max-age=15552000; includeSubDomains')
})

test('a replaced certificate is served to new connections while an open HTTP/2 connection keeps working', async () => {
  const session = await h2Session(gw.gateway.httpsUrl, { ca, servername: 'localhost' })
  try {
    assert.equal((await h2Request(session, '/before')).status, 200)
    const renewed = await pki.issue('renewed', { commonName: 'localhost', subjectAltName: 'DNS:localhost,IP:127.0.0.1', usage: 'server', days: 60 })
    const reloaded = new Promise<SecurityEvent>((resolve) => {
      const off = gw.gateway.events.subscribe((event) => {
        if (event.type === 'tls.reload' && event.action === 'info') {
          off()
          resolve(event)
        }
      })
    })
    // Replace both files the way a renewal tool does: write aside, rename over.
    await writeFile(`${served.key}.new`, renewed.keyPem)
    await writeFile(`${served.cert}.new`, renewed.certPem)
    await rename(`${served.key}.new`, served.key)
    await rename(`${served.cert}.new`, served.cert)
    const event = await reloaded
    assert.deepEqual((event.details as { fingerprints: string[] }).fingerprints[0], renewed.fingerprint256)

    const fresh = await tlsHandshake(port, { servername: 'localhost', ca })
    assert.equal(fresh.peer.fingerprint256.replace(/:/g, '').toLowerCase(), renewed.fingerprint256)
    // The connection opened before the swap was not dropped.
    assert.equal((await h2Request(session, '/after')).status, 200)
    assert.equal(session.closed || session.destroyed, false)
  } finally {
    session.close()
  }
})

test('a broken replacement is refused and the previous certificate keeps serving', async () => {
  const before = (await tlsHandshake(port, { servername: 'localhost', ca })).peer.fingerprint256
  const refused = new Promise<SecurityEvent>((resolve) => {
    const off = gw.gateway.events.subscribe((event) => {
      if (event.type === 'tls.reload' && event.action === 'reject') {
        off()
        resolve(event)
      }
    })
  })
  // A key that does not belong to the certificate.
  await writeFile(`${served.key}.new`, wildcard.keyPem)
  await rename(`${served.key}.new`, served.key)
  const event = await refused
  assert.match(event.reason ?? '', /key/)
  assert.equal((await tlsHandshake(port, { servername: 'localhost', ca })).peer.fingerprint256, before)
})

test('stop() sends GOAWAY on HTTP/2 sessions and lets the stream in flight finish', async () => {
  let arrived!: () => void
  const arrival = new Promise<void>((resolve) => (arrived = resolve))
  let answer!: () => void
  const slow = await startUpstream((_req, res) => {
    answer = () => res.end('finished')
    arrived()
  })
  const g = await startGateway(simpleConfig(slow.url, { listen: { http: { host: '127.0.0.1', port: 0 }, https: { host: '127.0.0.1', port: 0, certificates: [{ cert: first.cert, key: first.key }] } } }))
  const session = await h2Session(g.gateway.httpsUrl, { ca, servername: 'localhost' })
  try {
    const pending = h2Request(session, '/slow')
    await arrival
    const goaway = once(session, 'goaway')
    const stopping = g.stop()
    await goaway
    answer()
    const res = await pending
    assert.equal(res.status, 200)
    assert.equal(res.body, 'finished')
    await stopping
  } finally {
    session.destroy()
    await slow.close()
  }
})

test('the development certificate is generated once, labelled, and served by devCertificate: true', async () => {
  const home = await mkdtemp(join(tmpdir(), 'portcullis-home-'))
  try {
    const created = await ensureDevCertificate(home)
    assert.equal(created.created, true)
    const again = await ensureDevCertificate(home)
    assert.equal(again.created, false)
    assert.equal(again.fingerprint256, created.fingerprint256)
    const certificate = new X509Certificate(await readFile(created.cert, 'utf8'))
    assert.match(certificate.subject, new RegExp(DEV_CERTIFICATE_LABEL))
    assert.match(certificate.subjectAltName ?? '', /IP Address:127\.0\.0\.1/)
    assert.match(await readFile(join(home, 'tls', 'README.txt'), 'utf8'), /NOT FOR PRODUCTION/)

    const dev = await startGateway(simpleConfig(upstream.url, { listen: { http: { host: '127.0.0.1', port: 0, mode: 'off' }, https: { host: '127.0.0.1', port: 0, devCertificate: true } } }), { home })
    try {
      assert.match(dev.gateway.url, /^https:/, 'with plain HTTP off, url is the HTTPS listener')
      const res = await h1Request(`${dev.gateway.httpsUrl}/x`, { ca: await readFile(created.cert, 'utf8'), servername: 'localhost' })
      assert.equal(res.status, 200)
      assert.ok(dev.log.lines.some((l) => String(l.msg).includes('DEVELOPMENT certificate')), 'the log says it is a development certificate')
    } finally {
      await dev.stop()
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})
