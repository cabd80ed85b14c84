/**
 * Secret handling shared by the server: generation, hashing at rest and constant-time compare.
 * Client secrets and tokens are ≥ 256-bit random strings, so a fast hash (SHA-256) is enough;
 * a slow KDF would only add per-request cost (see auth-vectors.md §6).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A URL-safe random string carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** Hex SHA-256 of a secret, the only form in which secrets are stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** Base64url SHA-256, used to derive state-store keys from tokens (never store tokens raw). */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url')
}

/**
 * Compares a presented secret with a stored hex SHA-256 in constant time. Hashing first gives
 * equal-length inputs, so `timingSafeEqual` never throws and length leaks nothing.
 */
export function verifySecret(presented: string, storedHashHex: string): boolean {
  const actual = createHash('sha256').update(presented, 'utf8').digest()
  const expected = Buffer.from(storedHashHex, 'hex')
  if (expected.length !== actual.length) {
    // Still spend one compare so a malformed stored hash is not a timing signal.
    timingSafeEqual(actual, actual)
    return false
  }
  return timingSafeEqual(actual, expected)
}
