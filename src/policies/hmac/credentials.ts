/**
 * HMAC credential material: key ids and secrets as issued by the admin API.
 *
 * The secret is a random base64url string (256 bits) and, per CONTRACT.md, the HMAC key is the
 * UTF-8 bytes of that string as issued — clients never decode it, which removes a whole class
 * of "did you base64-decode the secret?" interop bugs.
 */
import { randomBytes } from 'node:crypto'
import type { SecretBox } from './secret-box.js'

/** Prefix of every HMAC key id, so ids are recognisable in logs and by secret scanners. */
export const HMAC_KEY_ID_PREFIX = 'hk_'

/** A fresh secret: 32 random bytes as base64url (43 characters, 256 bits). */
export function generateHmacSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** A fresh public key id, e.g. `hk_3q2-7wV0kz9X1bqk8yWmPQ` (128 random bits). */
export function generateHmacKeyId(): string {
  return `${HMAC_KEY_ID_PREFIX}${randomBytes(16).toString('base64url')}`
}

/** True when `keyId` has the shape generateHmacKeyId produces (cheap pre-filter before a lookup). */
export function isHmacKeyId(keyId: string): boolean {
  return keyId.length === HMAC_KEY_ID_PREFIX.length + 22 && keyId.startsWith(HMAC_KEY_ID_PREFIX) && /^[A-Za-z0-9_-]+$/.test(keyId.slice(3))
}

/** The MAC key for an issued secret: its UTF-8 bytes, no decoding (CONTRACT.md). */
export function hmacKeyFromSecret(secret: string): Buffer {
  return Buffer.from(secret, 'utf8')
}

/** What the admin API returns once and what the data store keeps. */
export interface IssuedHmacCredential {
  keyId: string
  /** Shown to the client once; never stored in clear. */
  secret: string
  /** `secret` sealed with the SecretBox, associated data = keyId; this is what the store keeps. */
  sealedSecret: string
}

/** Issues a new credential: a fresh key id and secret, the secret sealed for storage. */
export function issueHmacCredential(box: SecretBox): IssuedHmacCredential {
  const keyId = generateHmacKeyId()
  const secret = generateHmacSecret()
  return { keyId, secret, sealedSecret: box.seal(secret, keyId) }
}

/**
 * Rotates the secret of an existing key id with overlap: returns the new secret (shown once),
 * its sealed form, and the entry the store appends to the credential's `previous` list so the
 * old secret keeps working until `notAfterMs`.
 */
export function rotateHmacSecret(
  box: SecretBox,
  keyId: string,
  currentSealedSecret: string,
  graceMs: number,
  nowMs: number,
): { secret: string; sealedSecret: string; previous: { keyMaterial: string; notAfterMs: number } } {
  const secret = generateHmacSecret()
  return { secret, sealedSecret: box.seal(secret, keyId), previous: { keyMaterial: currentSealedSecret, notAfterMs: nowMs + graceMs } }
}
