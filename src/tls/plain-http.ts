/**
 * What the plain-HTTP listener may do. Threat: credentials (API keys, bearer tokens, signatures)
 * crossing a network in clear text, where anyone on the path can copy and replay them. Such a
 * request is refused — not redirected, because a client that silently follows a redirect never
 * learns that its credential already leaked — with a problem that says why. Loopback clients are
 * exempt by default (local development never leaves the machine).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { compileCidrList } from '../core/cidr.js'
import { createProblem, sendProblem } from '../core/problem.js'
import type { Rejection } from '../core/types.js'
import type { RequestContext } from '../core/context.js'
import { requestIdFor } from '../proxy/request-id.js'
import { reject } from '../proxy/handler.js'

/** Request headers that carry a credential the gateway recognises. */
export const CREDENTIAL_HEADERS = ['x-api-key', 'authorization', 'signature'] as const

const LOOPBACK = compileCidrList(['127.0.0.0/8', '::1/128'])
/** The common loopback spellings first: the CIDR walk parses the address. */
const isLoopback = (ip: string): boolean => ip === '127.0.0.1' || ip === '::1' || LOOPBACK.has(ip)

/** `listen.http.credentials`: who may send credentials without TLS. */
export type PlainCredentialsMode = 'loopback-only' | 'refuse' | 'allow'

/**
 * The refusal for credentials sent without TLS, or null when the request may proceed.
 * `secure` covers a trusted TLS-terminating proxy (X-Forwarded-Proto); `clientIp` is the resolved
 * client, so a plain-HTTP hop from a remote client through a local proxy is still refused.
 */
export function insecureCredentialRejection(
  headers: IncomingMessage['headers'],
  secure: boolean,
  clientIp: string,
  mode: PlainCredentialsMode,
): Rejection | null {
  if (secure || mode === 'allow') return null
  // Runs on every plain-HTTP request: no allocation until a credential is actually present.
  if (!CREDENTIAL_HEADERS.some((name) => headers[name] !== undefined)) return null
  if (mode === 'loopback-only' && isLoopback(clientIp)) return null
  const sent = CREDENTIAL_HEADERS.filter((name) => headers[name] !== undefined)
  const names = sent.map((n) => (n === 'x-api-key' ? 'X-API-Key' : n[0]!.toUpperCase() + n.slice(1))).join(', ')
  return {
    code: 'ERR_INSECURE_TRANSPORT',
    detail:
      `Credentials (${names}) were sent over plain HTTP, where anyone on the network path can read them. ` +
      'Send them over HTTPS only, and treat this credential as exposed: rotate it.',
    reason: `${names} over plain HTTP from ${clientIp}`,
  }
}

/**
 * A pre-routing mount for the gateway's request handler: answers 403 ERR_INSECURE_TRANSPORT
 * before any policy sees (and possibly logs or counts) the exposed credential.
 */
export function createInsecureCredentialsGuard(mode: () => PlainCredentialsMode): (ctx: RequestContext) => boolean {
  return (ctx) => {
    if (ctx.secure) return false
    const rejection = insecureCredentialRejection(ctx.headers, false, ctx.clientIp, mode())
    if (!rejection) return false
    reject(ctx, rejection)
    return true
  }
}

/** What the redirecting listener needs to know about each request. */
export interface RedirectOptions {
  /** The HTTPS listener's port (read per request: it is known only once it listens). */
  httpsPort(): number
  clientIp(req: IncomingMessage): string
  credentials(): PlainCredentialsMode
}

// Host header syntax (reg-name / IPv4 / bracketed IPv6, optional port): one character class
// per part, so matching is linear; anything else is refused rather than echoed into Location.
const HOST = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?$/

/** The plain listener's handler in `mode: redirect`: 308 to the same path on the HTTPS listener. */
export function createRedirectHandler(options: RedirectOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const id = requestIdFor(req.headers['x-request-id'])
    res.setHeader('x-request-id', id)
    const fail = (rejection: Rejection): void => {
      if (!req.complete) res.setHeader('connection', 'close')
      sendProblem(res, createProblem(rejection.code, rejection.detail, id), { accept: req.headers.accept, head: req.method === 'HEAD' })
    }
    const refused = insecureCredentialRejection(req.headers, false, options.clientIp(req), options.credentials())
    if (refused) return fail(refused)
    const match = HOST.exec(req.headers.host ?? '')
    const url = req.url ?? '/'
    if (!match || !url.startsWith('/')) return fail({ code: 'ERR_REQUEST_MALFORMED', detail: 'A valid Host header is required to redirect to HTTPS.' })
    const port = options.httpsPort()
    const location = `https://${match[1]}${port === 443 ? '' : `:${port}`}${url}`
    // 308 keeps the method and body (a POST stays a POST), unlike 301/302.
    res.writeHead(308, { location, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : `Use HTTPS: ${location}\n`)
    // A body the client may still be sending is not wanted here.
    if (!req.complete) req.resume()
  }
}
