/**
 * Unit tests of the certificate → consumer mapping and failure classification. The handshake
 * itself (chain, expiry, CRL) is exercised end to end in test/e2e/tls-mtls.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileIdentities, normalizeFingerprint, parseSubject } from './identities.js'
import { failureReason, principalFor } from './index.js'
import { parseSubjectAltNames } from '../../tls/tls-material.js'
import type { PeerCertificate } from '../../tls/peer-certificate.js'
import type { MtlsIdentityConfig } from './schema.js'

const FP = 'a1'.repeat(32)

function certificate(overrides: Partial<PeerCertificate> = {}): PeerCertificate {
  return {
    authorized: true,
    authorizationError: undefined,
    fingerprint256: FP,
    x5tS256: Buffer.from(FP, 'hex').toString('base64url'),
    subject: { O: ['Acme'], CN: ['sensor-7'], OU: ['fleet', 'eu'] },
    subjectText: 'O=Acme, CN=sensor-7, OU=fleet, OU=eu',
    issuerText: 'CN=Acme devices CA',
    subjectAltNames: [
      { type: 'DNS', value: 'Sensor-7.IoT.example' },
      { type: 'URI', value: 'spiffe://acme/device/7' },
      { type: 'IP Address', value: '10.0.0.7' },
    ],
    serialNumber: '01',
    validTo: 'Jan  1 00:00:00 2030 GMT',
    ...overrides,
  }
}

const identity = (rule: Partial<MtlsIdentityConfig>, consumerId: string): MtlsIdentityConfig => ({ consumerId, roles: [], scopes: [], ...rule })

test('fingerprints are accepted with colons, any case, or a sha256: prefix', () => {
  assert.equal(normalizeFingerprint(FP.toUpperCase().match(/../g)!.join(':')), FP)
  assert.equal(normalizeFingerprint(`sha256:${FP}`), FP)
})

test('a pinned fingerprint wins over subject and SAN rules listed before it', () => {
  const resolve = compileIdentities([identity({ subject: 'CN=sensor-7' }, 'by-subject'), identity({ fingerprint: FP }, 'by-fingerprint')])
  assert.equal(resolve(certificate())?.consumerId, 'by-fingerprint')
  assert.equal(resolve(certificate({ fingerprint256: 'b2'.repeat(32) }))?.consumerId, 'by-subject')
})

test('subject rules need every listed attribute; multi-valued attributes match any value', () => {
  const resolve = compileIdentities([identity({ subject: { CN: 'sensor-7', O: 'Other' } }, 'wrong-org'), identity({ subject: 'OU=eu, CN=sensor-7' }, 'eu-fleet')])
  assert.equal(resolve(certificate())?.consumerId, 'eu-fleet')
  assert.equal(resolve(certificate({ subject: { CN: ['sensor-8'], OU: ['eu'] } })), undefined)
  assert.deepEqual(parseSubject('CN=a, O=b'), { CN: 'a', O: 'b' })
  assert.throws(() => parseSubject('just-a-name'), /CN=name/)
})

test('SAN rules: DNS case-insensitive, URI exact, IP spelled either way', () => {
  assert.equal(compileIdentities([identity({ san: 'DNS:sensor-7.iot.example' }, 'dns')])(certificate())?.consumerId, 'dns')
  assert.equal(compileIdentities([identity({ san: 'URI:spiffe://acme/device/7' }, 'uri')])(certificate())?.consumerId, 'uri')
  assert.equal(compileIdentities([identity({ san: 'URI:SPIFFE://acme/device/7' }, 'uri')])(certificate()), undefined)
  assert.equal(compileIdentities([identity({ san: 'IP:10.0.0.7' }, 'ip')])(certificate())?.consumerId, 'ip')
  assert.equal(compileIdentities([identity({ san: 'DNS:sensor-8.iot.example' }, 'dns')])(certificate()), undefined)
})

test('a rule with two selectors is refused at compile time', () => {
  assert.throws(() => compileIdentities([identity({ fingerprint: FP, subject: 'CN=x' }, 'both')]), /exactly one/)
})

test('OpenSSL verification errors map to stable reasons', () => {
  assert.equal(failureReason('CERT_HAS_EXPIRED'), 'certificate_expired')
  assert.equal(failureReason('CERT_REVOKED'), 'certificate_revoked')
  assert.equal(failureReason('CERT_NOT_YET_VALID'), 'certificate_not_yet_valid')
  assert.equal(failureReason('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'certificate_untrusted')
  assert.equal(failureReason(undefined), 'certificate_untrusted')
})

test('the Principal carries the RFC 8705 x5t#S256 thumbprint for certificate-bound tokens', () => {
  const p = principalFor(certificate(), { consumerId: 'c1', tenant: 't', roles: ['device'], scopes: ['s'], matchedBy: 'fingerprint' })
  assert.equal(p.method, 'mtls')
  assert.equal(p.claims?.['x5t#S256'], Buffer.from(FP, 'hex').toString('base64url'))
  assert.equal(p.credentialId, `x5t#S256:${p.claims?.['x5t#S256']}`)
  assert.equal(p.subject, 'O=Acme, CN=sensor-7, OU=fleet, OU=eu')
})

test("Node's subjectAltName text is parsed, including JSON-quoted values that contain separators", () => {
  assert.deepEqual(parseSubjectAltNames('DNS:a.example, IP Address:127.0.0.1, URI:"spiffe://x/a, b"'), [
    { type: 'DNS', value: 'a.example' },
    { type: 'IP Address', value: '127.0.0.1' },
    { type: 'URI', value: 'spiffe://x/a, b' },
  ])
  assert.deepEqual(parseSubjectAltNames(''), [])
})

test('the config schema refuses an identity without a selector, with its JSON pointer', async () => {
  const { validateConfigObject } = await import('../../config/load.js')
  const { createRegistry } = await import('../registry.js')
  const { mtlsPolicy } = await import('./index.js')
  const base = createRegistry()
  const registry = base.has('mtls') ? base : createRegistry([mtlsPolicy])
  const config = (identities: unknown[]) => ({
    upstreams: { app: { url: 'http://127.0.0.1:1' } },
    routes: [{ name: 'r', match: { path: '/*' }, upstream: 'app', policies: [{ name: 'mtls', config: { identities } }] }],
  })
  const bad = validateConfigObject(config([{ consumerId: 'c' }]), registry)
  assert.equal(bad.ok, false)
  assert.ok(!bad.ok && bad.errors.some((e) => e.pointer.startsWith('/routes/0/policies/0/config/identities/0')), JSON.stringify(bad))
  assert.equal(validateConfigObject(config([{ san: 'DNS:a.example', consumerId: 'c' }]), registry).ok, true)
})
