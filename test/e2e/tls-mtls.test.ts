/**
 * Mutual TLS, the IoT device case: the listener requests client certificates (CA bundle + CRL),
 * the `mtls` policy requires or accepts them per route and maps them to consumers by fingerprint,
 * subject or subjectAltName. Valid → 200 and the right consumer; none / untrusted / expired /
 * revoked / unmapped → refused, with the precise reason in the security events only.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { request } from 'undici'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'
import { createTestPki, type IssuedCertificate, type TestPki } from '../../src/tls/test-pki.js'
import { h1Request, h2Request, h2Session, type ClientTls } from '../../src/tls/test-clients.js'
import { createRegistry } from '../../src/policies/registry.js'
import { mtlsPolicy, MTLS_INVALID_DETAIL } from '../../src/policies/mtls/index.js'
import type { SecurityEvent } from '../../src/core/events.js'
import type { Principal } from '../../src/core/types.js'

let devices: TestPki
let rogue: TestPki
let ca: string
const certs: Record<string, IssuedCertificate> = {}
let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>
const principals = new Map<string, Principal | undefined>()
const events: SecurityEvent[] = []

before(async () => {
  devices = await createTestPki('devices')
  rogue = await createTestPki('rogue')
  ca = await readFile(devices.caCert, 'utf8')
  const server = await devices.issue('server', { commonName: 'localhost', subjectAltName: 'DNS:localhost', usage: 'server' })
  certs.byFingerprint = await devices.issue('sensor-1', { commonName: 'sensor-1', usage: 'client' })
  certs.bySan = await devices.issue('sensor-2', { commonName: 'sensor-2', subjectAltName: 'URI:spiffe://acme/device/sensor-2', usage: 'client' })
  certs.bySubject = await devices.issue('hub-3', { commonName: 'hub-3', usage: 'client' })
  certs.unmapped = await devices.issue('stranger', { commonName: 'stranger', usage: 'client' })
  certs.expired = await devices.issue('expired', { commonName: 'sensor-1', usage: 'client', startDate: '20200101000000Z', endDate: '20200201000000Z' })
  certs.revoked = await devices.issue('revoked', { commonName: 'sensor-9', usage: 'client' })
  certs.rogue = await rogue.issue('rogue', { commonName: 'sensor-1', usage: 'client' })
  await devices.revoke(certs.revoked)
  const crl = await devices.crl()

  const identities = [
    { fingerprint: certs.byFingerprint.fingerprint256.match(/../g)!.join(':').toUpperCase(), consumerId: 'cons-sensor-1', roles: ['device'], scopes: ['telemetry:write'], tenant: 'acme' },
    { san: 'URI:spiffe://acme/device/sensor-2', consumerId: 'cons-sensor-2' },
    { subject: 'CN=hub-3, O=Portcullis tests', consumerId: 'cons-hub-3' },
    // The revoked and expired certificates are mapped too: only the TLS verdict refuses them.
    { fingerprint: certs.revoked.fingerprint256, consumerId: 'cons-revoked' },
    { fingerprint: certs.expired.fingerprint256, consumerId: 'cons-expired' },
    { fingerprint: certs.rogue.fingerprint256, consumerId: 'cons-rogue' },
  ]
  upstream = await startUpstream(echoHandler)
  const base = createRegistry()
  // Until the registry lists mtls as a built-in, the test adds it.
  const registry = base.has('mtls') ? base : createRegistry([mtlsPolicy])
  gw = await startGateway(
    {
      ...simpleConfig(upstream.url, {
        routes: [
          { name: 'telemetry', match: { path: '/telemetry/*' }, upstream: 'app', policies: [{ name: 'mtls', config: { identities } }] },
          { name: 'optional', match: { path: '/optional/*' }, upstream: 'app', policies: [{ name: 'mtls', config: { required: false, identities } }] },
          { name: 'open', match: { path: '/*' }, upstream: 'app' },
        ],
      }),
      listen: {
        http: { host: '127.0.0.1', port: 0 },
        https: { host: '127.0.0.1', port: 0, certificates: [{ cert: server.cert, key: server.key }], clientAuth: { ca: devices.caCert, crl } },
      },
    },
    { registry },
  )
  gw.gateway.completed.push((ctx) => principals.set(ctx.id, ctx.principal))
  gw.gateway.events.subscribe((event) => events.push(event))
})
after(async () => {
  await gw.stop()
  await upstream.close()
  await devices.cleanup()
  await rogue.cleanup()
})

const tlsFor = (name?: string): ClientTls => {
  const c = name ? certs[name]! : undefined
  return { ca, servername: 'localhost', ...(c && { cert: c.certPem, key: c.keyPem }) }
}
const reasonOf = (requestId: string): string | undefined => events.find((e) => e.requestId === requestId && e.type === 'policy.decision')?.reason

for (const [name, consumerId] of [
  ['byFingerprint', 'cons-sensor-1'],
  ['bySan', 'cons-sensor-2'],
  ['bySubject', 'cons-hub-3'],
] as const) {
  test(`a valid device certificate (mapped ${name}) → 200 as ${consumerId}`, async () => {
    const res = await h1Request(`${gw.gateway.httpsUrl}/telemetry/readings`, tlsFor(name), { method: 'POST', body: '{"t":21.5}', headers: { 'content-type': 'application/json' } })
    assert.equal(res.status, 200)
    const principal = principals.get(String(res.headers['x-request-id']))
    assert.equal(principal?.consumerId, consumerId)
    assert.equal(principal?.method, 'mtls')
    assert.match(principal?.subject ?? '', /CN=/)
    assert.equal(principal?.claims?.['x5t#S256'], Buffer.from(certs[name]!.fingerprint256, 'hex').toString('base64url'))
  })
}

test('roles, scopes and tenant come from the identity mapping', async () => {
  const res = await h1Request(`${gw.gateway.httpsUrl}/telemetry/x`, tlsFor('byFingerprint'))
  const principal = principals.get(String(res.headers['x-request-id']))
  assert.deepEqual(principal?.roles, ['device'])
  assert.deepEqual(principal?.scopes, ['telemetry:write'])
  assert.equal(principal?.tenant, 'acme')
})

test('no certificate → 401 ERR_AUTH_REQUIRED with a challenge', async () => {
  const res = await h1Request(`${gw.gateway.httpsUrl}/telemetry/x`, tlsFor())
  assert.equal(res.status, 401)
  assert.equal((JSON.parse(res.body) as { code: string }).code, 'ERR_AUTH_REQUIRED')
  assert.match(String(res.headers['www-authenticate']), /^Mutual-TLS realm=/)
})

test('plain HTTP to a certificate route → 401 ERR_AUTH_REQUIRED', async () => {
  const res = await request(`${gw.url}/telemetry/x`)
  assert.equal(res.statusCode, 401)
  assert.equal(((await res.body.json()) as { code: string }).code, 'ERR_AUTH_REQUIRED')
})

for (const [name, reason] of [
  ['rogue', 'certificate_untrusted'],
  ['expired', 'certificate_expired'],
  ['revoked', 'certificate_revoked'],
  ['unmapped', 'certificate_unmapped'],
] as const) {
  test(`a ${name} certificate → 401 ERR_AUTH_INVALID (reason ${reason} in events only)`, async () => {
    const res = await h1Request(`${gw.gateway.httpsUrl}/telemetry/x`, tlsFor(name))
    assert.equal(res.status, 401)
    const problem = JSON.parse(res.body) as { code: string; detail: string }
    assert.equal(problem.code, 'ERR_AUTH_INVALID')
    assert.equal(problem.detail, MTLS_INVALID_DETAIL, 'one generic detail: the reason is not an oracle')
    assert.match(reasonOf(String(res.headers['x-request-id'])) ?? '', new RegExp(`^${reason}`))
    assert.equal(principals.get(String(res.headers['x-request-id'])), undefined)
  })
}

test('an optional route passes without a certificate and identifies a device that has one', async () => {
  const anonymous = await h1Request(`${gw.gateway.httpsUrl}/optional/x`, tlsFor())
  assert.equal(anonymous.status, 200)
  assert.equal(principals.get(String(anonymous.headers['x-request-id'])), undefined)
  const device = await h1Request(`${gw.gateway.httpsUrl}/optional/x`, tlsFor('bySan'))
  assert.equal(device.status, 200)
  assert.equal(principals.get(String(device.headers['x-request-id']))?.consumerId, 'cons-sensor-2')
  const revoked = await h1Request(`${gw.gateway.httpsUrl}/optional/x`, tlsFor('revoked'))
  assert.equal(revoked.status, 401, 'a bad certificate is refused even where one is optional')
})

test('over HTTP/2: the device certificate authenticates every stream of the connection', async () => {
  const session = await h2Session(gw.gateway.httpsUrl, tlsFor('byFingerprint'))
  try {
    for (let i = 0; i < 3; i++) {
      const res = await h2Request(session, `/telemetry/stream-${i}`)
      assert.equal(res.status, 200)
      assert.equal(principals.get(String(res.headers['x-request-id']))?.consumerId, 'cons-sensor-1')
    }
  } finally {
    session.close()
  }
  const rogueSession = await h2Session(gw.gateway.httpsUrl, tlsFor('rogue'))
  try {
    assert.equal((await h2Request(rogueSession, '/telemetry/x')).status, 401)
  } finally {
    rogueSession.close()
  }
})

test('routes without the mtls policy ignore client certificates', async () => {
  const res = await h1Request(`${gw.gateway.httpsUrl}/open/x`, tlsFor('rogue'))
  assert.equal(res.status, 200)
})
