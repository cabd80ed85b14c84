/**
 * The client certificate of a request, as the TLS layer verified it (chain to the configured CA
 * bundle, validity dates, CRLs). Read once per connection — HTTP/1.1 keep-alive and HTTP/2 streams
 * share it — and cached against the connection, so a busy device pays for parsing once.
 */
import { createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { RequestContext } from '../core/context.js'
import { parseSubjectAltNames } from './tls-material.js'

/** A presented client certificate and the handshake's verdict on it. */
export interface PeerCertificate {
  /** True when it chains to the configured CAs, is within its dates and is not revoked. */
  authorized: boolean
  /** OpenSSL's verdict when not authorized, e.g. `CERT_HAS_EXPIRED`, `CERT_REVOKED`. */
  authorizationError: string | undefined
  /** SHA-256 of the DER certificate, lower-case hex. */
  fingerprint256: string
  /** RFC 8705 `x5t#S256`: base64url SHA-256 of the DER certificate (certificate-bound tokens). */
  x5tS256: string
  /** Subject attributes (multi-valued attributes keep every value). */
  subject: Readonly<Record<string, readonly string[]>>
  /** `CN=device-1, O=Acme` — for logs and the Principal's subject. */
  subjectText: string
  issuerText: string
  subjectAltNames: readonly { type: string; value: string }[]
  serialNumber: string
  validTo: string
}

type Cached = PeerCertificate | null

/** Per-connection cache; a WeakMap so closed connections free their entry. */
export type PeerCertificateCache = WeakMap<object, Cached>

/** Creates an empty cache (one per policy instance). */
export function createPeerCertificateCache(): PeerCertificateCache {
  return new WeakMap()
}

/** The request's client certificate, or null when none was presented (or the request is not TLS). */
export function peerCertificateOf(ctx: RequestContext, cache: PeerCertificateCache): PeerCertificate | null {
  const socket = ctx.tlsSocket
  if (!socket) return null
  // HTTP/2 hands every stream its own socket proxy; the session is the stable per-connection key.
  const key = (ctx.req as { stream?: { session?: object } }).stream?.session ?? ctx.req.socket
  const cached = cache.get(key)
  if (cached !== undefined) return cached
  const value = readPeerCertificate(socket)
  cache.set(key, value)
  return value
}

function readPeerCertificate(socket: TLSSocket): PeerCertificate | null {
  const peer = socket.getPeerCertificate(false)
  if (!peer || !peer.raw) return null
  const x5t = createHash('sha256').update(peer.raw).digest()
  const error = socket.authorizationError as unknown
  return {
    authorized: socket.authorized === true,
    authorizationError: error === undefined || error === null ? undefined : String((error as { code?: string }).code ?? error),
    fingerprint256: x5t.toString('hex'),
    x5tS256: x5t.toString('base64url'),
    subject: attributes(peer.subject),
    subjectText: dnText(peer.subject),
    issuerText: dnText(peer.issuer),
    subjectAltNames: parseSubjectAltNames(peer.subjectaltname ?? ''),
    serialNumber: peer.serialNumber,
    validTo: peer.valid_to,
  }
}

function attributes(dn: object | undefined): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {}
  if (!dn) return out
  for (const [name, value] of Object.entries(dn)) out[name] = Array.isArray(value) ? value.map(String) : [String(value)]
  return out
}

function dnText(dn: object | undefined): string {
  return Object.entries(attributes(dn))
    .flatMap(([name, values]) => values.map((v) => `${name}=${v}`))
    .join(', ')
}
