/**
 * Replay prevention: each (keyid, nonce) pair is accepted once while its `created` is inside the
 * acceptance window. The only store operation is an atomic set-if-absent, so two gateway
 * instances sharing Redis cannot both accept the same signed request.
 */
import { hash } from 'node:crypto'

/** The one operation replay prevention needs from the state store. */
export interface NonceStore {
  /**
   * Stores `key` for `ttlMs` unless it already exists; resolves true when this call stored it
   * (first use), false when it was already there (replay). Must be atomic across instances.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
}

/**
 * Store key for one nonce. Hashing keeps attacker-chosen keyids and nonces out of the key space
 * (length, separators, odd bytes) while staying collision-free in practice.
 */
export function nonceKey(keyId: string, nonce: string): string {
  // The same bytes as hashing keyId, NUL and nonce in turn (UTF-8), without a Hash object.
  return `hmac:nonce:${hash('sha256', `${keyId}\0${nonce}`, 'base64url')}`
}

/**
 * How long a nonce must be remembered: until a request with this `created` would be refused as
 * stale anyway, plus a second for rounding of the whole-second `created`.
 */
export function nonceTtlMs(createdSeconds: number, maxAgeMs: number, nowMs: number): number {
  return Math.max(1000, createdSeconds * 1000 + maxAgeMs - nowMs + 1000)
}

/** Options for the in-memory store. */
export interface MemoryNonceStoreOptions {
  /** Clock, injectable for tests. */
  now?: () => number
  /** Hard cap on remembered nonces; when full (after sweeping) the store throws — fail closed. */
  maxEntries?: number
}

/**
 * A single-process NonceStore for tests and single-instance deployments. It never evicts a live
 * entry (that would reopen a replay window); when full it throws so the request fails closed.
 */
export function createMemoryNonceStore(options: MemoryNonceStoreOptions = {}): NonceStore {
  const now = options.now ?? Date.now
  const maxEntries = options.maxEntries ?? 1_000_000
  const entries = new Map<string, number>()
  let nextSweepMs = 0
  function sweep(t: number): void {
    for (const [key, expiresAt] of entries) if (expiresAt <= t) entries.delete(key)
  }
  return {
    async setIfAbsent(key, _value, ttlMs) {
      const t = now()
      const existing = entries.get(key)
      if (existing !== undefined && existing > t) return false
      if (entries.size >= maxEntries || t >= nextSweepMs) {
        sweep(t)
        nextSweepMs = t + 10_000
        if (entries.size >= maxEntries) throw new Error('nonce store is full')
      }
      entries.set(key, t + ttlMs)
      return true
    },
  }
}

/** The slice of an ioredis client the Redis nonce store uses. */
export interface RedisSetClient {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<string | null>
}

/**
 * A NonceStore over Redis `SET key value PX ttl NX`, atomic across every gateway sharing the
 * server. `prefix` isolates deployments (and parallel tests) on one Redis.
 */
export function createRedisNonceStore(client: RedisSetClient, prefix = 'portcullis:'): NonceStore {
  return {
    async setIfAbsent(key, value, ttlMs) {
      const reply = await client.set(`${prefix}${key}`, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')
      return reply === 'OK'
    },
  }
}
