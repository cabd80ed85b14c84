/**
 * The one TLS profile the HTTPS listener speaks: TLS 1.2 minimum (1.3 preferred by every modern
 * client), forward-secret AEAD suites only, no renegotiation, no compression. Kept in one place so
 * the listener, the SNI contexts and a reload can never drift apart.
 */
import { constants } from 'node:crypto'
import type { SecureContextOptions } from 'node:tls'

/**
 * TLS 1.2 suites: ECDHE (forward secrecy) with an AEAD cipher (GCM or ChaCha20-Poly1305). No CBC
 * (Lucky13 / BEAST class), no static RSA key exchange (ROBOT, no forward secrecy), no DHE (Logjam,
 * slow). Every one is also acceptable to HTTP/2 (RFC 9113 §9.2.2).
 */
export const TLS12_CIPHERS: readonly string[] = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
]

/**
 * TLS 1.3 suites (all AEAD and forward secret by design). Listed explicitly because Node turns
 * TLS 1.3 off when a `ciphers` string names no `TLS_*` suite.
 */
export const TLS13_SUITES: readonly string[] = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']

/** Key-exchange groups, strongest-and-fastest first. */
export const ECDH_CURVES = 'X25519:prime256v1:secp384r1'

/**
 * Renegotiation is a DoS lever (client-initiated) and useless to HTTP/2; compression enables CRIME.
 * OpenSSL 3 already disables compression, the flag keeps it so on any build.
 */
export const SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION

/** Protocol and cipher options shared by the default context and every SNI context. */
export function tlsProfile(minVersion: 'TLSv1.2' | 'TLSv1.3'): SecureContextOptions {
  return {
    minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: [...TLS13_SUITES, ...TLS12_CIPHERS].join(':'),
    ecdhCurve: ECDH_CURVES,
    honorCipherOrder: true,
    secureOptions: SECURE_OPTIONS,
    // Every context (default and SNI) needs the same non-empty id context, or OpenSSL aborts a
    // session-id resumption with "session id context uninitialized" once client certs are requested.
    sessionIdContext: 'portcullis-https',
  }
}

/** The `Strict-Transport-Security` value, or undefined when HSTS is off (maxAge 0). */
export function hstsHeader(hsts: { maxAgeMs: number; includeSubDomains: boolean; preload: boolean }): string | undefined {
  const seconds = Math.floor(hsts.maxAgeMs / 1000)
  if (seconds <= 0) return undefined
  return `max-age=${seconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`
}
