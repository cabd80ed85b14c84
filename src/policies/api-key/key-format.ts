/**
 * API key format: `pcl_<env>_<body>_<checksum>`, e.g. `pcl_live_4Xq...Zr_0aB3cD`.
 *
 * - The fixed `pcl_` prefix makes keys greppable and recognisable by secret scanners, and lets
 *   `Authorization: Bearer` tell an API key from a JWT.
 * - The body is 32 base62 characters drawn uniformly from `crypto.randomBytes` (≈190.5 bits).
 * - The checksum is CRC32 of everything before it, as 6 base62 digits: a mistyped or truncated
 *   key is refused without touching the store (CRC32 catches every single-character change
 *   and every adjacent swap of distinct characters), and scanners can cut false positives.
 * - Only `hashApiKey(key)` (SHA-256 hex) is stored; SHA-256 without salt is enough because the
 *   key itself carries 190 random bits — there is nothing to brute-force.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'

/** Every API key starts with this. */
export const API_KEY_PREFIX = 'pcl_'
/** Key environments: `live` for production, `test` for sandboxes. */
export type ApiKeyEnv = 'live' | 'test'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BODY_LENGTH = 32
const CHECKSUM_LENGTH = 6
/** Characters of the display prefix: `pcl_live_` plus 3 body characters (≈18 of 190 bits revealed). */
const DISPLAY_PREFIX_LENGTH = 12
/** Total length of a well-formed key: `pcl_` + env + `_` + body + `_` + checksum. */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + 4 + 1 + BODY_LENGTH + 1 + CHECKSUM_LENGTH
// Anchored, no nested quantifiers: linear time on any input (and length is checked first anyway).
const SHAPE = /^pcl_(?:live|test)_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/

/** A freshly generated key: show `key` once, store only `prefix` and `hash`. */
export interface GeneratedApiKey {
  key: string
  prefix: string
  hash: string
}

/** `length` base62 characters, uniform: bytes ≥ 248 are rejected so `% 62` has no bias. */
function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

/** Fixed-width base62 of an unsigned 32-bit value (62^6 > 2^32, so 6 digits always suffice). */
function base62Fixed(value: number, width: number): string {
  let out = ''
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

function checksum(payload: string): string {
  return base62Fixed(crc32(payload) >>> 0, CHECKSUM_LENGTH)
}

/** Generates a new key for `env` (default `live`) with its display prefix and stored hash. */
export function generateApiKey(env: ApiKeyEnv = 'live'): GeneratedApiKey {
  if (env !== 'live' && env !== 'test') throw new TypeError(`unknown API key env ${JSON.stringify(env)}`)
  const payload = `${API_KEY_PREFIX}${env}_${randomBase62(BODY_LENGTH)}`
  const key = `${payload}_${checksum(payload)}`
  return { key, prefix: displayPrefix(key), hash: hashApiKey(key) }
}

/**
 * True when `key` has the exact shape and a matching checksum. No store access: use it to
 * refuse garbage and typos before any lookup (and before hashing attacker-sized input).
 */
export function isWellFormedApiKey(key: string): boolean {
  if (typeof key !== 'string' || key.length !== API_KEY_LENGTH || !SHAPE.test(key)) return false
  const payload = key.slice(0, API_KEY_LENGTH - CHECKSUM_LENGTH - 1)
  return checksum(payload) === key.slice(API_KEY_LENGTH - CHECKSUM_LENGTH)
}

/** True when a bearer token claims to be an API key (by prefix), whether or not it is valid. */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX)
}

/** The environment a well-formed key was issued for, or null for a malformed key. */
export function apiKeyEnv(key: string): ApiKeyEnv | null {
  return isWellFormedApiKey(key) ? (key.slice(4, 8) as ApiKeyEnv) : null
}

/** Lower-case hex SHA-256 of the key: the only form of a key that is ever stored. */
export function hashApiKey(key: string): string {
  // One-shot `crypto.hash`: a quarter of the CPU of createHash().update().digest().
  return hash('sha256', key, 'hex')
}

/** The non-secret display part (`pcl_live_Ab3`), safe to store, list and log. */
export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH)
}

/**
 * Constant-time equality of two hex digests. A length mismatch returns false at once: the
 * length of a SHA-256 digest is public, so this leaks nothing.
 */
export function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'latin1')
  const right = Buffer.from(b, 'latin1')
  if (left.length !== right.length) return false
  return timingSafeEqual(left, right)
}
