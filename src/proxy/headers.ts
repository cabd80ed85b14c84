/**
 * Header hygiene between client and upstream: hop-by-hop fields never cross the proxy (RFC 9110
 * §7.6.1), client-supplied identity headers are dropped so only the gateway can assert identity,
 * and the X-Forwarded-* fields describe the real client.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
])

/** Headers only the gateway may set towards the upstream; a client copy is always removed. */
export const IDENTITY_HEADER_PREFIXES = ['x-portcullis-', 'x-consumer-', 'x-credential-', 'x-authenticated-']
const IDENTITY_HEADERS = new Set(['x-forwarded-user', 'x-remote-user', 'x-user-id', 'x-tenant-id'])

/** True for a client header that claims an identity (stripped before the pipeline sees it). */
export function isIdentityHeader(name: string): boolean {
  if (IDENTITY_HEADERS.has(name)) return true
  for (const prefix of IDENTITY_HEADER_PREFIXES) if (name.startsWith(prefix)) return true
  return false
}

/** Removes client identity headers in place (before any policy runs). */
export function stripIdentityHeaders(headers: IncomingHttpHeaders): void {
  for (const name in headers) if (isIdentityHeader(name)) delete headers[name]
}

/** Field names listed in a Connection header are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (!value) return undefined
  const joined = Array.isArray(value) ? value.join(',') : value
  return new Set(joined.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))
}

/** Builds the upstream request headers from the client's, minus hop-by-hop and `host`. */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  forwarded: { clientIp: string; proto: string; host: string | undefined; requestId: string },
  extra: Record<string, string>,
): Record<string, string | string[]> {
  const listed = connectionTokens(incoming.connection)
  const out: Record<string, string | string[]> = {}
  for (const name in incoming) {
    // HTTP/2 pseudo-headers (`:authority`, `:path`, ...) describe the client's hop only.
    if (HOP_BY_HOP.has(name) || name === 'host' || listed?.has(name) || name.charCodeAt(0) === 58) continue
    const value = incoming[name]
    if (value !== undefined) out[name] = value
  }
  const prior = incoming['x-forwarded-for']
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${forwarded.clientIp}` : forwarded.clientIp
  out['x-forwarded-proto'] = forwarded.proto
  if (forwarded.host) out['x-forwarded-host'] = forwarded.host
  out['x-request-id'] = forwarded.requestId
  for (const name in extra) out[name] = extra[name]!
  return out
}

/**
 * Copies upstream response headers for the client, minus hop-by-hop fields, plus the gateway's
 * own fields (`own`, lower-case names) where the upstream sent none of that name.
 */
export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>, own: Record<string, string> = {}): OutgoingHttpHeaders {
  const listed = connectionTokens(upstream.connection)
  const out: OutgoingHttpHeaders = {}
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue
    const value = upstream[name]
    if (value !== undefined) out[name] = value
  }
  for (const name in own) if (out[name] === undefined) out[name] = own[name]
  return out
}
