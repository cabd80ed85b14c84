/**
 * hmac (authn). Threat: forged, altered or replayed requests on high-value routes (payments),
 * and bearer credentials that leak in logs — an RFC 9421 signature proves possession of a
 * secret per request and binds method, target URI and body (via RFC 9530 Content-Digest), and
 * the nonce makes each signed request usable once. Failure mode: fails closed — anything that
 * does not verify is a 401 with one generic detail; a nonce-store outage throws (500 / the
 * pipeline's store-down handling), never an accept.
 *
 * Target URI: rebuilt as `${secure ? 'https' : 'http'}://${Host}${path}${?query}` from what the
 * client sent to the gateway — the client-visible URI, which is the one the client signed.
 * The gateway sits behind nothing by default; behind a TLS-terminating proxy, `ctx.secure`
 * already reflects the trusted proxy's view (listener setting), and the Host header must be
 * preserved by that proxy.
 */
import type { PolicyDeps, Policy, Rejection } from '../../core/types.js'
import type { RequestContext } from '../../core/context.js'
import { parseDurationMs } from '../../core/units.js'
import { serializeItem } from './sf-serialize.js'
import { HmacSchema, type HmacConfig } from './schema.js'
import { parseComponentSpec, verifySignedRequest, type HmacKeyResolver, type VerifyOptions, type VerifyFailureReason } from './verify.js'
import type { HeaderMap } from './signature-base.js'
import type { NonceStore } from './replay.js'

/** Services the hmac policy needs beyond PolicyDeps (to be added to PolicyDeps by the integrator). */
export interface HmacDeps {
  hmacKeys: HmacKeyResolver
  nonces: NonceStore
  /** Clock in epoch ms; defaults to Date.now (tests inject one). */
  now?: () => number
}

/** The one client-facing text for every signature failure (no oracle). */
export const HMAC_INVALID_DETAIL = 'The request signature could not be verified.'

/** Rebuilds the absolute target URI the client addressed (see the module comment). */
export function reconstructTargetUri(ctx: Pick<RequestContext, 'secure' | 'path' | 'rawQuery' | 'headers'>): string | undefined {
  const host = ctx.headers.host ?? (ctx.headers[':authority'] as string | undefined)
  if (host === undefined || host === '') return undefined
  return `${ctx.secure ? 'https' : 'http'}://${host}${ctx.path}${ctx.rawQuery ? `?${ctx.rawQuery}` : ''}`
}

/** Compiles config into verify options once, at load. */
export function compileHmacOptions(config: HmacConfig): VerifyOptions {
  return {
    requiredComponents: config.requiredComponents.map(parseComponentSpec),
    maxAgeMs: parseDurationMs(config.maxAgeMs),
    clockSkewMs: parseDurationMs(config.clockSkewMs),
    requireNonce: config.requireNonce,
    algorithms: config.algorithms,
    label: config.label,
    protectContent: true,
  }
}

/**
 * The header fields as RFC 9421 §2.1 reads them. A repeated field name needs `headersDistinct`,
 * which keeps every field line (Node's `headers` drops repeats of some fields and joins others).
 * Without a repeat the two views agree, and `headers` is already built while `headersDistinct`
 * is a second pass over every line — so it is used only when a name repeats: then `headers` has
 * fewer names than there are lines. Anything that added or removed names (the HTTP/2
 * normalisation adds Host) also breaks the equality and takes the distinct view.
 */
function signedFieldLines(ctx: RequestContext): HeaderMap {
  const headers = ctx.headers
  if (ctx.req.rawHeaders.length === 2 * Object.keys(headers).length) return headers as HeaderMap
  return (ctx.req.headersDistinct ?? headers) as HeaderMap
}

function hasContent(headers: RequestContext['headers']): boolean {
  const length = headers['content-length']
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined
}

function createHandler(config: HmacConfig, deps: HmacDeps) {
  const options = compileHmacOptions(config)
  const now = deps.now ?? Date.now
  const label = config.label ?? 'sig1'
  const wwwAuthenticate = `Signature realm="${config.realm}"`
  const algParam = options.algorithms.length === 1 ? `;alg="${options.algorithms[0]}"` : ''
  const acceptSignature = (ctx: RequestContext): string => {
    const wanted = [...options.requiredComponents.map((c) => serializeItem(c))]
    if (ctx.headers['content-type'] !== undefined) wanted.push('"content-type"')
    if (hasContent(ctx.headers)) wanted.push('"content-digest"')
    return `${label}=(${[...new Set(wanted)].join(' ')});created${algParam}`
  }
  const reject = (ctx: RequestContext, code: Rejection['code'], reason: VerifyFailureReason | 'host_missing', message: string): Rejection => ({
    code,
    detail: code === 'ERR_AUTH_REQUIRED' ? 'A signed request is required.' : HMAC_INVALID_DETAIL,
    reason: `${reason}: ${message}`,
    headers: { 'www-authenticate': wwwAuthenticate, 'accept-signature': acceptSignature(ctx) },
  })
  return {
    async onRequest(ctx: RequestContext): Promise<Rejection | null> {
      if (ctx.headers['signature-input'] === undefined && ctx.headers['signature'] === undefined) {
        return reject(ctx, 'ERR_AUTH_REQUIRED', 'signature_missing', 'no Signature-Input / Signature')
      }
      const url = reconstructTargetUri(ctx)
      if (url === undefined) return reject(ctx, 'ERR_AUTH_INVALID', 'host_missing', 'no Host header')
      const body = await ctx.readBody()
      const headers = signedFieldLines(ctx)
      const result = await verifySignedRequest(
        { method: ctx.method, url, headers, body },
        { resolveKey: deps.hmacKeys, nonces: deps.nonces },
        options,
        now(),
      )
      if (!result.ok) return reject(ctx, 'ERR_AUTH_INVALID', result.reason, result.message)
      const key = result.key
      ctx.principal = {
        subject: key.subject ?? key.consumerId,
        consumerId: key.consumerId,
        tenant: key.tenant,
        method: 'hmac',
        scopes: key.scopes ?? [],
        roles: key.roles ?? [],
        ...(key.groups ? { groups: key.groups } : {}),
        credentialId: key.keyId,
      }
      return null
    },
  }
}

/**
 * Builds an `hmac` policy bound to a key resolver and a nonce store — for embedders and tests,
 * and for the integrator until PolicyDeps carries these services.
 */
export function createHmacPolicy(hmacKeys: HmacKeyResolver, nonces: NonceStore, now?: () => number): Policy<typeof HmacSchema> {
  return {
    name: 'hmac',
    stage: 'authn',
    schema: HmacSchema,
    readsBody: true,
    create: (config) => createHandler(config, { hmacKeys, nonces, ...(now ? { now } : {}) }),
  }
}

/**
 * The registry entry: keys come from the gateway's credential services (data store, sealed
 * secrets), nonces from the shared state store (atomic set-if-absent, so a replay is refused
 * across every instance sharing Redis).
 */
export const hmacPolicy: Policy<typeof HmacSchema> = {
  name: 'hmac',
  stage: 'authn',
  schema: HmacSchema,
  readsBody: true,
  create(config, deps: PolicyDeps) {
    return createHandler(config, { hmacKeys: deps.credentials.hmacKeys, nonces: deps.state })
  },
}
