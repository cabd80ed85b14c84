/**
 * The `oauth` authn handler: `Authorization: Bearer <JWT>` from our own authorization server
 * and/or configured external issuers → one Principal, or an RFC 6750 refusal.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import type { RequestContext } from '../../core/context.js'
import type { PolicyHandler, Rejection } from '../../core/types.js'
import type { TokenStateStore } from '../../auth-server/stores.js'
import { inspectJwt, MAX_TOKEN_LENGTH, TokenRejected, verifyJwt, type VerifyProfile } from './jwt-verify.js'
import { createRemoteIssuer, IssuerUnavailable } from './remote-issuers.js'
import type { OAuthPolicyConfig } from './schema.js'
import { compileScopes, grantsAll, missingScopes } from './scopes.js'
import { createVerifiedTokenCache, verifiedToken, type VerifiedToken } from './verified-tokens.js'

/** Our own authorization server as the policy sees it (an AuthServer satisfies this). */
export interface LocalIssuer {
  readonly issuer: string
  readonly audience: string
  jwks(): JSONWebKeySet
  /** Re-reads signing keys (another instance may have rotated); called on an unknown `kid`. */
  reloadSigningKeys?(): Promise<void>
}

/** What the handler needs beyond its config. */
export interface OAuthPolicyStores {
  /** Shared state: the revocation deny-list written by the authorization server. */
  state: TokenStateStore
  /** Required when `config.local` is true. */
  local?: LocalIssuer | undefined
  now?: () => number
}

const REALM = 'Bearer realm="portcullis"'
const INVALID_TOKEN = { 'www-authenticate': `${REALM}, error="invalid_token"` }
const GENERIC_DETAIL = 'The access token is missing, invalid, expired or revoked.'
// RFC 6750 §2.1 b64token, anchored; the two character classes are disjoint, so matching is linear.
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
/** Prefix of gateway API keys; such bearer values belong to the api-key policy. */
export const API_KEY_PREFIX = 'pcl_'

/** Builds the per-route handler. Throws at build time for an inconsistent config. */
export function createOAuthPolicyHandler(config: OAuthPolicyConfig, stores: OAuthPolicyStores): PolicyHandler {
  const now = stores.now ?? Date.now
  const profiles = new Map<string, VerifyProfile>()
  const common = { clockSkewMs: config.clockSkewMs, maxTokenAgeMs: config.maxTokenAgeMs }
  if (config.local) {
    if (!stores.local) throw new Error('oauth policy: `local: true` needs the gateway authorization server')
    const local = stores.local
    profiles.set(local.issuer, {
      ...common,
      issuer: local.issuer,
      audience: config.localAudience ?? local.audience,
      algorithms: ['ES256'],
      typ: 'at+jwt',
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
      getKey: createLocalKeyResolver(local, config.jwksCooldownMs),
    })
  }
  for (const issuerConfig of config.issuers) {
    if (profiles.has(issuerConfig.issuer)) throw new Error(`oauth policy: issuer ${issuerConfig.issuer} configured twice`)
    const remote = createRemoteIssuer(issuerConfig, { cooldownMs: config.jwksCooldownMs, maxAgeMs: config.jwksMaxAgeMs, timeoutMs: config.fetchTimeoutMs })
    profiles.set(issuerConfig.issuer, {
      ...common,
      issuer: issuerConfig.issuer,
      audience: issuerConfig.audience,
      algorithms: issuerConfig.algorithms,
      typ: issuerConfig.typ ?? 'at+jwt',
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      getKey: remote.getKey,
    })
  }
  const scopesFor = compileScopes(config.scopes)
  const cache = createVerifiedTokenCache(config.verifiedCacheSize, config.verifiedCacheMs)
  const reuse = { cacheMs: config.verifiedCacheMs, maxTokenAgeMs: config.maxTokenAgeMs }

  /** Full verification (signature, issuer, audience, typ, times); the result is cached. */
  async function verify(token: string): Promise<VerifiedToken> {
    const inspected = inspectJwt(token)
    const iss = inspected.payload['iss']
    const profile = typeof iss === 'string' ? profiles.get(iss) : undefined
    if (!profile) throw new TokenRejected('issuer not configured')
    const payload = await verifyJwt(token, inspected, profile, now())
    const entry = verifiedToken(payload, profile.issuer, config, now(), reuse)
    cache?.set(token, entry)
    return entry
  }

  /** No bearer credentials at all: a 401 when required, else the request goes on anonymous. */
  function anonymous(): Rejection | null {
    return config.required ? { code: 'ERR_AUTH_REQUIRED', detail: GENERIC_DETAIL, reason: 'no bearer token', headers: { 'www-authenticate': REALM } } : null
  }

  function refusal(error: unknown): Rejection {
    if (error instanceof TokenRejected) return invalid(error.reason)
    if (error instanceof IssuerUnavailable) {
      return { code: 'ERR_STORE_UNAVAILABLE', detail: 'The token issuer cannot be reached; try again later.', reason: error.message }
    }
    throw error
  }

  /** Revocation, then scopes. Synchronous when the token carries no `jti` to look up. */
  function admit(ctx: RequestContext, token: VerifiedToken): Rejection | null | Promise<Rejection | null> {
    // Checked on every request, cache or not: a revocation must bite within one store round trip.
    if (token.revocationKey === undefined) return authorise(ctx, token)
    return stores.state.get(token.revocationKey).then((revoked) => (revoked !== null ? invalid('token revoked') : authorise(ctx, token)))
  }

  function authorise(ctx: RequestContext, token: VerifiedToken): Rejection | null {
    ctx.principal = token.principal
    const required = scopesFor(ctx.method)
    return grantsAll(required, token.granted) ? null : insufficientScope(required, token.granted)
  }

  return {
    // Not `async`: a warm request settles in a single promise (the revocation read), no more.
    onRequest(ctx: RequestContext): Rejection | null | Promise<Rejection | null> {
      // Another authn policy already identified the caller: nothing for us to do.
      if (ctx.principal) return null
      const header = ctx.headers.authorization
      if (header === undefined) return anonymous()
      // Warm path, before the regex (~0.7 µs on a typical token): a header that is exactly
      // `Bearer <token>` for a cached token. Only tokens that matched BEARER and verified are
      // cached, so a hit is what the full path would find; anything else (other casing, extra
      // spaces, an unknown token) falls through to it.
      if (cache !== undefined && header.length <= MAX_TOKEN_LENGTH + 32 && header.startsWith('Bearer ')) {
        const warm = cache.get(header.slice(7), now())
        if (warm) return admit(ctx, warm)
      }
      const match = header.length <= MAX_TOKEN_LENGTH + 32 ? BEARER.exec(header) : null
      if (!match) return /^bearer(\s|$)/i.test(header) ? invalid('malformed bearer credentials') : anonymous()
      const token = match[1]!
      if (token.startsWith(API_KEY_PREFIX)) return null
      const cached = cache?.get(token, now())
      if (cached) return admit(ctx, cached)
      return verify(token).then((verified) => admit(ctx, verified), refusal)
    },
    close() {
      cache?.clear()
    },
  }
}

function insufficientScope(required: readonly string[], granted: ReadonlySet<string>): Rejection {
  const scope = required.join(' ').replace(/["\\]/g, '')
  return {
    code: 'ERR_INSUFFICIENT_SCOPE',
    detail: 'The access token does not grant the scope this request needs.',
    reason: `missing scopes: ${missingScopes(required, granted).join(' ')}`,
    headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` },
  }
}

function invalid(reason: string): Rejection {
  return { code: 'ERR_AUTH_INVALID', detail: GENERIC_DETAIL, reason, headers: INVALID_TOKEN }
}

/**
 * Keys of our own issuer, straight from the authorization server's memory. An unknown `kid`
 * triggers at most one key reload per cooldown (another instance may have rotated).
 */
function createLocalKeyResolver(local: LocalIssuer, cooldownMs: number): JWTVerifyGetKey {
  let source: JSONWebKeySet | undefined
  let resolver: ReturnType<typeof createLocalJWKSet> | undefined
  let lastReloadMs = -Infinity
  const current = (): ReturnType<typeof createLocalJWKSet> => {
    const jwks = local.jwks()
    if (jwks !== source || !resolver) {
      source = jwks
      resolver = createLocalJWKSet(jwks)
    }
    return resolver
  }
  return async (header, token) => {
    try {
      return await current()(header, token)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !local.reloadSigningKeys || Date.now() - lastReloadMs < cooldownMs) throw error
      lastReloadMs = Date.now()
      await local.reloadSigningKeys()
      return current()(header, token)
    }
  }
}
