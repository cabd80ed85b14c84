/**
 * Verifies presented API keys against the data store, behind a bounded cache keyed by the key's
 * SHA-256. One verifier per gateway (shared by every route) so that revoking or rotating a key
 * through the admin API invalidates it at once; other gateway instances see the change within the
 * cache TTL.
 */
import { LRUCache } from 'lru-cache'
import type { DataStore, ApiKeyRecord, ConsumerRecord } from '../../store/data/types.js'
import { apiKeyState, type ApiKeyState } from '../../store/data/key-state.js'
import { compileCidrList, type CidrList } from '../../core/cidr.js'
import { hashApiKey, isWellFormedApiKey, safeEqualHex } from './key-format.js'

/** A verified key with what the restrictions need, compiled once per cache entry. */
export interface VerifiedKey {
  record: ApiKeyRecord
  consumer: ConsumerRecord
  cidrs: CidrList
}

export type VerifyOutcome = { ok: true; key: VerifiedKey } | { ok: false; reason: 'malformed' | 'unknown' | Exclude<ApiKeyState, 'active'> | 'orphaned' }

export interface ApiKeyVerifier {
  verify(presented: string, nowMs?: number): Promise<VerifyOutcome>
  /** Drops a key from the cache (revoke, rotate, update). */
  invalidate(keyId: string): void
}

export function createApiKeyVerifier(data: DataStore, options: { cacheTtlMs?: number; cacheSize?: number } = {}): ApiKeyVerifier {
  // Negative results are cached too (as null) so a flood of one unknown key costs one lookup.
  // ttlResolution 0 reads the clock per lookup; the default (1 ms) arms a timer every millisecond.
  const cache = new LRUCache<string, { key: VerifiedKey | null }>({ max: options.cacheSize ?? 10_000, ttl: options.cacheTtlMs ?? 10_000, ttlResolution: 0 })
  const hashById = new Map<string, string>()

  async function load(hash: string): Promise<VerifiedKey | null> {
    const record = await data.findApiKeyByHash(hash)
    if (!record || !safeEqualHex(record.hash, hash)) return null
    const consumer = await data.getConsumer(record.consumerId)
    if (!consumer) return null
    hashById.set(record.id, hash)
    return { record, consumer, cidrs: compileCidrList(record.allowCidrs) }
  }

  return {
    async verify(presented, nowMs = Date.now()) {
      if (!isWellFormedApiKey(presented)) return { ok: false, reason: 'malformed' }
      const hash = hashApiKey(presented)
      let entry = cache.get(hash)
      if (!entry) {
        entry = { key: await load(hash) }
        cache.set(hash, entry)
      }
      if (!entry.key) return { ok: false, reason: 'unknown' }
      const state = apiKeyState(entry.key.record, nowMs)
      return state === 'active' ? { ok: true, key: entry.key } : { ok: false, reason: state }
    },
    invalidate(keyId) {
      const hash = hashById.get(keyId)
      if (hash) cache.delete(hash)
      hashById.delete(keyId)
    },
  }
}
