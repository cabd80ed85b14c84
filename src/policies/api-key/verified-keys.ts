/**
 * Keys that were looked up in the data store, remembered for a short while so a warm request
 * costs one keyed hash and one map lookup: no checksum, no SHA-256 for the store, no store read,
 * no Principal to build.
 *
 * Entries are keyed by a keyed SHA-256 of the presented key under a random per-process secret,
 * never by the key itself: a heap dump shows neither keys nor the hashes the store holds, and an
 * attacker cannot steer which entries collide. The lookup compares digests the attacker cannot
 * compute, so it leaks nothing about live keys through timing.
 *
 * Why `SHA-256(secret ‖ key)` and not HMAC: `crypto.hash` is one native call (~0.25 µs) where
 * `createHmac` builds and tears down a hash object (~2 µs, as much as everything else on the warm
 * path). The length-extension weakness that HMAC's double hashing avoids needs the attacker to
 * see a digest and to choose a longer message; cache ids are never output and every key that
 * reaches the cache has the same fixed length.
 *
 * Freshness: an entry lives at most `ttlMs` (the verifier's cache TTL, the documented bound for
 * a revocation made on another gateway instance to take effect here); revoke, rotate and consumer
 * updates on this instance drop the entry at once (`invalidate`). The key's own clock-driven
 * state (expiry, end of a rotation grace, a revocation dated in the future) is evaluated on every
 * hit, so caching never makes a key live longer than its record says.
 */
import { hash, randomBytes } from 'node:crypto'

/** One cached lookup: what the store said (null: no such key) and which key id it belongs to. */
interface Entry<T> {
  readonly value: T | null
  readonly keyId: string | undefined
  readonly expiresAtMs: number
}

export interface VerifiedKeyCache<T> {
  /** A stable, secret-keyed id for `presented` (the only form the cache ever holds). */
  idOf(presented: string): string
  /** The cached lookup for `id`: `undefined` when absent or older than the TTL; `null` for a known-unknown key. */
  get(id: string, nowMs: number): T | null | undefined
  /**
   * Counts invalidations. Read it before a store lookup and pass it to `set`: a lookup that
   * raced with a revoke is then not cached (it may hold the record as it was before).
   */
  readonly generation: number
  set(id: string, value: T | null, keyId: string | undefined, nowMs: number, generation: number): void
  /** Drops the entry of key `keyId` (revoke, rotate, update). */
  invalidate(keyId: string): void
  readonly size: number
}

export function createVerifiedKeyCache<T>(options: { ttlMs: number; maxEntries: number }): VerifiedKeyCache<T> {
  // Base64 of random bytes: ASCII, so it is hashed byte for byte as written here.
  const secret = randomBytes(32).toString('base64')
  const entries = new Map<string, Entry<T>>()
  const idByKeyId = new Map<string, string>()
  let generation = 0

  function drop(id: string): void {
    const entry = entries.get(id)
    if (!entry) return
    entries.delete(id)
    if (entry.keyId !== undefined && idByKeyId.get(entry.keyId) === id) idByKeyId.delete(entry.keyId)
  }

  return {
    idOf: (presented) => hash('sha256', secret + presented, 'base64'),
    get(id, nowMs) {
      const entry = entries.get(id)
      if (entry === undefined) return undefined
      if (entry.expiresAtMs > nowMs) return entry.value
      drop(id)
      return undefined
    },
    set(id, value, keyId, nowMs, seenGeneration) {
      if (options.maxEntries <= 0 || options.ttlMs <= 0 || seenGeneration !== generation) return
      drop(id)
      // Bounded: past the cap the oldest insertion goes (a Map iterates in insertion order).
      // Entries expire within the TTL anyway, so first-in-first-out is as good as LRU here.
      while (entries.size >= options.maxEntries) drop(entries.keys().next().value as string)
      entries.set(id, { value, keyId, expiresAtMs: nowMs + options.ttlMs })
      if (keyId !== undefined) idByKeyId.set(keyId, id)
    },
    invalidate(keyId) {
      generation++
      const id = idByKeyId.get(keyId)
      if (id !== undefined) drop(id)
      idByKeyId.delete(keyId)
    },
    get generation() {
      return generation
    },
    get size() {
      return entries.size
    },
  }
}
