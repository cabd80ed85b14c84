/**
 * mtls (authn). Threat: machines (IoT devices, partner services) that cannot keep a shared secret
 * safe, and bearer credentials that work from anywhere once copied — a client certificate proves
 * possession of a private key that never leaves the device, and the TLS handshake already checked
 * its chain, dates and revocation against the listener's CA bundle and CRLs
 * (`listen.https.clientAuth`). This policy decides per route: certificate required or optional,
 * and which consumer a certificate is (SHA-256 fingerprint, subject or subjectAltName).
 * Failure mode: fails closed — an untrusted, expired, revoked or unmapped certificate is a 401 with
 * one generic detail; the precise reason goes to logs and events only.
 *
 * Not yet: RFC 8705 certificate-bound access tokens (`cnf.x5t#S256`) — the Principal carries the
 * certificate's `x5t#S256` claim so the oauth policy can bind tokens to it once it reads that claim.
 */
import type { Policy, Rejection, Principal } from '../../core/types.js'
import type { RequestContext } from '../../core/context.js'
import { createPeerCertificateCache, peerCertificateOf, type PeerCertificate } from '../../tls/peer-certificate.js'
import { compileIdentities, type MtlsIdentity } from './identities.js'
import { MtlsSchema } from './schema.js'

/** The one client-facing text for every refused certificate (no oracle). */
export const MTLS_INVALID_DETAIL = 'The client certificate was not accepted.'

/** Why a presented certificate was refused (logs and events only). */
export type MtlsFailureReason = 'certificate_expired' | 'certificate_not_yet_valid' | 'certificate_revoked' | 'certificate_untrusted' | 'certificate_unmapped'

/** Maps OpenSSL's verification error to a stable reason. */
export function failureReason(authorizationError: string | undefined): MtlsFailureReason {
  switch (authorizationError) {
    case 'CERT_HAS_EXPIRED':
      return 'certificate_expired'
    case 'CERT_NOT_YET_VALID':
      return 'certificate_not_yet_valid'
    case 'CERT_REVOKED':
      return 'certificate_revoked'
    default:
      return 'certificate_untrusted'
  }
}

/** Builds the Principal of a verified, mapped certificate. */
export function principalFor(certificate: PeerCertificate, identity: MtlsIdentity): Principal {
  return {
    subject: certificate.subjectText || `x5t#S256:${certificate.x5tS256}`,
    consumerId: identity.consumerId,
    tenant: identity.tenant,
    method: 'mtls',
    scopes: identity.scopes,
    roles: identity.roles,
    credentialId: `x5t#S256:${certificate.x5tS256}`,
    claims: {
      'x5t#S256': certificate.x5tS256,
      subject: certificate.subjectText,
      issuer: certificate.issuerText,
      serialNumber: certificate.serialNumber,
      subjectAltNames: certificate.subjectAltNames.map((e) => `${e.type}:${e.value}`),
      matchedBy: identity.matchedBy,
    },
  }
}

export const mtlsPolicy: Policy<typeof MtlsSchema> = {
  name: 'mtls',
  stage: 'authn',
  schema: MtlsSchema,
  create(config) {
    const resolve = compileIdentities(config.identities)
    const cache = createPeerCertificateCache()
    const challenge = { 'www-authenticate': `Mutual-TLS realm="${config.realm}"` }
    const invalid = (reason: MtlsFailureReason, certificate: PeerCertificate, why: string): Rejection => ({
      code: 'ERR_AUTH_INVALID',
      detail: MTLS_INVALID_DETAIL,
      reason: `${reason}: ${why} (subject ${certificate.subjectText}, sha256 ${certificate.fingerprint256})`,
      headers: challenge,
    })
    return {
      onRequest(ctx: RequestContext): Rejection | null {
        const certificate = peerCertificateOf(ctx, cache)
        if (!certificate) {
          if (!config.required) return null
          return {
            code: 'ERR_AUTH_REQUIRED',
            detail: 'A client certificate is required (mutual TLS over HTTPS).',
            reason: ctx.tlsSocket ? 'no client certificate presented' : 'request did not arrive over TLS',
            headers: challenge,
          }
        }
        if (!certificate.authorized) {
          const reason = failureReason(certificate.authorizationError)
          return invalid(reason, certificate, certificate.authorizationError ?? 'not verified')
        }
        const identity = resolve(certificate)
        if (!identity) return invalid('certificate_unmapped', certificate, 'no configured identity matches')
        ctx.principal = principalFor(certificate, identity)
        return null
      },
    }
  },
}
