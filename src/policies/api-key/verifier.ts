/**
 * Verifies presented API keys against the data store, behind a short-lived cache of verified
 * keys (see verified-keys.ts). One verifier per gateway (shared by every route) so that revoking
 * or rotating a key through the admin API invalidates it at once; other gateway instances see the
 * change within the cache TTL.
 */
import type { DataStore, ApiKeyRecord, ConsumerRecord } from '../../store/data/types.js'
import type { Principal } from '../../core/types.js'
import { apiKeyState, type ApiKeyState } from '../../store/data/key-state.js'
import { compileCidrList, type CidrList } from '../../core/cidr.js'
import { API_KEY_LENGTH, hashApiKey, isWellFormedApiKey, safeEqualHex } from './key-format.js'
import { createVerifiedKeyCache } from './verified-keys.js'

/** A verified key with what the restrictions need, compiled once per cache entry. Shared: frozen. */
export interface VerifiedKey {
  readonly record: ApiKeyRecord
  readonly consumer: ConsumerRecord
  readonly cidrs: CidrList
  /** The caller as the pipeline sees it, built once per cache entry. */
  readonly principal: Principal
}

export type VerifyOutcome = { ok: true; key: VerifiedKey } | { ok: false; reason: 'malformed' | 'unknown' | Exclude<ApiKeyState, 'active'> | 'orphaned' }

export interface ApiKeyVerifier {
  /** Synchronous on a cache hit (or a malformed key); a promise when the store must be read. */
  verify(presented: string, nowMs?: number): VerifyOutcome | Promise<VerifyOutcome>
  /** Drops a key from the cache (revoke, rotate, update). */
  invalidate(keyId: string): void
}

const MALFORMED: VerifyOutcome = Object.freeze({ ok: false, reason: 'malformed' })
const UNKNOWN: VerifyOutcome = Object.freeze({ ok: false, reason: 'unknown' })

export function createApiKeyVerifier(data: DataStore, options: { cacheTtlMs?: number; cacheSize?: number } = {}): ApiKeyVerifier {
  // Negative results are cached too (as null) so a flood of one unknown key costs one lookup.
  const cache = createVerifiedKeyCache<VerifiedKey>({ ttlMs: options.cacheTtlMs ?? 10_000, maxEntries: options.cacheSize ?? 10_000 })

  async function load(presented: string, id: string, nowMs: number): Promise<VerifiedKey | null> {
    const generation = cache.generation
    const hash = hashApiKey(presented)
    const record = await data.findApiKeyByHash(hash)
    const consumer = record && safeEqualHex(record.hash, hash) ? await data.getConsumer(record.consumerId) : undefined
    const key = record && consumer ? verifiedKey(record, consumer) : null
    cache.set(id, key, key?.record.id, nowMs, generation)
    return key
  }

  function outcome(key: VerifiedKey | null, nowMs: number): VerifyOutcome {
    if (!key) return UNKNOWN
    const state = apiKeyState(key.record, nowMs)
    return state === 'active' ? { ok: true, key } : { ok: false, reason: state }
  }

  return {
    verify(presented, nowMs = Date.now()) {
      // The length check first bounds what gets hashed; the full shape and checksum are checked
      // on a miss only: an entry exists only for a key that passed them.
      if (typeof presented !== 'string' || presented.length !== API_KEY_LENGTH) return MALFORMED
      const id = cache.idOf(presented)
      const cached = cache.get(id, nowMs)
      if (cached !== undefined) return outcome(cached, nowMs)
      if (!isWellFormedApiKey(presented)) return MALFORMED
      return load(presented, id, nowMs).then((key) => outcome(key, nowMs))
    },
    invalidate: (keyId) => cache.invalidate(keyId),
  }
}

function verifiedKey(record: ApiKeyRecord, consumer: ConsumerRecord): VerifiedKey {
  const principal: Principal = {
    subject: consumer.id,
    consumerId: consumer.id,
    tenant: consumer.tenant,
    method: 'api-key',
    scopes: Object.freeze([...record.scopes]),
    roles: Object.freeze([...consumer.roles]),
    groups: Object.freeze([...consumer.groups]),
    credentialId: record.id,
    limits: Object.freeze({ rateLimit: record.rateLimit, quota: record.quota }),
  }
  return Object.freeze({ record, consumer, cidrs: compileCidrList(record.allowCidrs), principal: Object.freeze(principal) })
}
