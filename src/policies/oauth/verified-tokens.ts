/**
 * Tokens that passed full verification, remembered so a warm request skips the signature check
 * AND everything derived from the claims: the mapped Principal, the granted scopes as a Set and
 * the revocation key (a SHA-256). A warm request is then a map lookup, a clock check, one
 * revocation read and a scope check.
 *
 * Keyed by the token string itself, no SHA-256 needed: the map lives only in this process and is
 * never written to a shared store. Only tokens that verified get in, so an attacker cannot fill
 * it with junk. Memory is bounded by entry count and by an estimate of bytes (long tokens count
 * for more).
 */
import type { JWTPayload } from 'jose'
import { LRUCache } from 'lru-cache'
import type { Principal } from '../../core/types.js'
import { revokedAccessTokenKey } from '../../auth-server/state-keys.js'
import { toPrincipal, type ClaimMapping } from './claims.js'
import { MAX_TOKEN_LENGTH } from './jwt-verify.js'

/** A verified token with everything a request needs precomputed. Shared by requests: frozen. */
export interface VerifiedToken {
  readonly principal: Principal
  readonly granted: ReadonlySet<string>
  /** State-store key marking this token revoked; undefined when the token has no `jti`. */
  readonly revocationKey: string | undefined
  /** Reuse the verification only while the clock is before this instant (ms). */
  readonly untilMs: number
}

/** How long one verification may be reused. */
export interface ReuseLimits {
  /** The policy's `verifiedCacheMs`. */
  cacheMs: number
  /** The profile's `maxTokenAgeMs`: a token must not outlive it in the cache either. */
  maxTokenAgeMs: number
}

/**
 * Builds the entry for a token jose just accepted at `nowMs`. The reuse window ends at the
 * earliest of: the cache lifetime, `exp` and `iat + maxTokenAge` — without the verifier's clock
 * leeway, so a cached answer is never more lenient than a fresh verification would be (inside
 * the leeway the token is simply verified again).
 */
export function verifiedToken(payload: JWTPayload, issuer: string, mapping: ClaimMapping, nowMs: number, limits: ReuseLimits): VerifiedToken {
  const principal = toPrincipal(payload, mapping)
  Object.freeze(principal.scopes)
  Object.freeze(principal.roles)
  let untilMs = Math.min(nowMs + limits.cacheMs, (payload.exp ?? 0) * 1000)
  if (typeof payload.iat === 'number') untilMs = Math.min(untilMs, payload.iat * 1000 + limits.maxTokenAgeMs)
  return Object.freeze({
    principal: Object.freeze(principal),
    granted: new Set(principal.scopes),
    revocationKey: typeof payload.jti === 'string' ? revokedAccessTokenKey(issuer, payload.jti) : undefined,
    untilMs,
  })
}

/** The cache of verified tokens. */
export interface VerifiedTokenCache {
  /** The entry for `token` if its reuse window is still open at `nowMs`. */
  get(token: string, nowMs: number): VerifiedToken | undefined
  set(token: string, entry: VerifiedToken): void
  clear(): void
}

// Rough bytes held per entry: the token string, the decoded claims and their frozen copy (each
// about as large as the token), plus the Principal, the Set and the map bookkeeping.
const BYTES_PER_TOKEN_CHAR = 3
const ENTRY_OVERHEAD_BYTES = 1024
const entryBytes = (token: string): number => token.length * BYTES_PER_TOKEN_CHAR + ENTRY_OVERHEAD_BYTES
/** Memory budget per allowed entry: typical tokens (~1 KiB) fill the count long before the bytes. */
export const BUDGET_BYTES_PER_ENTRY = 4096

/** Creates the cache; undefined when caching is configured off. */
export function createVerifiedTokenCache(maxEntries: number, cacheMs: number): VerifiedTokenCache | undefined {
  if (maxEntries <= 0 || cacheMs <= 0) return undefined
  // Keyed by the whole token. Indexing by the signature segment and then comparing tokens would
  // hash fewer characters, but that comparison (attacker input against a live credential) would
  // not be constant-time; a lookup by the full token only compares on a seeded-hash match.
  const lru = new LRUCache<string, VerifiedToken>({
    max: maxEntries,
    // Plus room for one maximal token, so even a tiny cache can hold any token that verifies.
    maxSize: maxEntries * BUDGET_BYTES_PER_ENTRY + MAX_TOKEN_LENGTH * BYTES_PER_TOKEN_CHAR + ENTRY_OVERHEAD_BYTES,
    sizeCalculation: (_verified, token) => entryBytes(token),
  })
  return {
    get(token, nowMs) {
      const hit = lru.get(token)
      if (hit === undefined) return undefined
      if (hit.untilMs > nowMs) return hit
      lru.delete(token)
      return undefined
    },
    set: (token, verified) => void lru.set(token, verified),
    clear: () => lru.clear(),
  }
}
