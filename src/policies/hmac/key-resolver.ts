/**
 * Adapts stored credentials to the verifier's HmacKeyResolver: opens sealed HMAC secrets with
 * the SecretBox, imports ed25519 public keys, drops expired rotation entries, and caches the
 * result briefly (bounded LRU) so a signed request does not cost a database read plus an
 * AES-GCM decryption. Revocation must call `invalidate(keyId)`; the TTL bounds staleness across
 * instances that did not see the revocation.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { SecretBox } from './secret-box.js'
import type { HmacKeyResolver, ResolvedHmacKey, SignatureAlgorithm } from './verify.js'
import { hmacKeyFromSecret } from './credentials.js'

/** One credential row as the data store keeps it. */
export interface StoredHmacCredential {
  keyId: string
  consumerId: string
  alg: SignatureAlgorithm
  /** hmac-sha256: the sealed secret (SecretBox, associated data = keyId). ed25519: SPKI PEM public key. */
  keyMaterial: string
  /** Earlier key material still accepted during a rotation overlap. */
  previous?: readonly { keyMaterial: string; notAfterMs: number }[]
  expiresAtMs?: number | undefined
  revoked?: boolean
  subject?: string | undefined
  tenant?: string | undefined
  scopes?: readonly string[]
  roles?: readonly string[]
  groups?: readonly string[]
}

/** Options for the caching resolver. */
export interface StoredKeyResolverOptions {
  /** How long a resolved key (or a miss) is reused; default 30 s. */
  cacheTtlMs?: number
  maxEntries?: number
  now?: () => number
}

/** A resolver with explicit cache invalidation (call on revoke / rotate). */
export interface StoredKeyResolver {
  resolve: HmacKeyResolver
  invalidate(keyId: string): void
}

function material(box: SecretBox, alg: SignatureAlgorithm, keyId: string, keyMaterial: string): Buffer | KeyObject {
  return alg === 'hmac-sha256' ? hmacKeyFromSecret(box.open(keyMaterial, keyId)) : createPublicKey(keyMaterial)
}

/**
 * Builds a resolver over `lookup` (the data store's "credential by key id"). Revoked rows resolve
 * to null. A row that fails to decrypt throws: that is a configuration fault (wrong master key),
 * not a bad request, and must be loud.
 */
export function createStoredKeyResolver(
  lookup: (keyId: string) => Promise<StoredHmacCredential | null>,
  box: SecretBox,
  options: StoredKeyResolverOptions = {},
): StoredKeyResolver {
  const now = options.now ?? Date.now
  // ttlResolution 0: read the clock on each lookup. The default (1 ms) caches it and arms a fresh
  // timer every millisecond to expire that cache — a Timeout per couple of signed requests.
  const cache = new LRUCache<string, { key: ResolvedHmacKey | null }>({ max: options.maxEntries ?? 10_000, ttl: options.cacheTtlMs ?? 30_000, ttlResolution: 0 })
  async function load(keyId: string): Promise<ResolvedHmacKey | null> {
    const row = await lookup(keyId)
    let key: ResolvedHmacKey | null = null
    if (row !== null && !row.revoked) {
      key = {
        keyId: row.keyId,
        alg: row.alg,
        secret: material(box, row.alg, row.keyId, row.keyMaterial),
        previousSecrets: (row.previous ?? [])
          .filter((p) => p.notAfterMs > now())
          .map((p) => ({ secret: material(box, row.alg, row.keyId, p.keyMaterial), notAfterMs: p.notAfterMs })),
        expiresAtMs: row.expiresAtMs,
        consumerId: row.consumerId,
        subject: row.subject,
        tenant: row.tenant,
        scopes: row.scopes ?? [],
        roles: row.roles ?? [],
        ...(row.groups ? { groups: row.groups } : {}),
      }
    }
    cache.set(keyId, { key })
    return key
  }
  return {
    resolve(keyId) {
      // A cached key is returned as is, not wrapped in a promise: the verifier then finishes
      // without a microtask hop (every signed request of a known key takes this path).
      const cached = cache.get(keyId)
      return cached !== undefined ? cached.key : load(keyId)
    },
    invalidate(keyId) {
      cache.delete(keyId)
    },
  }
}
