/**
 * AES-256-GCM encryption of HMAC secrets at rest.
 *
 * Why encrypted and not hashed: an API key can be stored as a hash because the gateway only has
 * to recognise it. An HMAC verifier has to *recompute* the MAC over each request, so it needs the
 * secret itself; a hash is useless for that. Encrypting under a key that lives outside the
 * database (config or `PORTCULLIS_SECRET_KEY`) means a leaked database or backup alone does not
 * leak usable secrets. The credential's key id is bound as associated data, so a ciphertext
 * copied onto another credential row fails to open.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url; 96-bit random IV, 128-bit tag.
 * Several keys may be configured: the first seals, all are tried to open — so the master key
 * can be rotated by adding a new key in front and re-sealing at leisure.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/** Environment variable holding the base64 32-byte master key. */
export const SECRET_KEY_ENV = 'PORTCULLIS_SECRET_KEY'

/** Raised when a sealed secret cannot be opened (wrong key, tampering, bad format). */
export class SecretBoxError extends Error {}

/** Encrypts and decrypts short secrets. */
export interface SecretBox {
  /** Encrypts `plaintext`, binding `associatedData` (e.g. the key id). */
  seal(plaintext: string, associatedData?: string): string
  /** Decrypts a sealed value; throws SecretBoxError on any failure. */
  open(sealed: string, associatedData?: string): string
}

/** Decodes one base64 master key and checks it is exactly 32 bytes. */
export function decodeSecretKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64')
  if (key.length !== 32) throw new SecretBoxError('secret key must be 32 bytes, base64-encoded')
  return key
}

/**
 * Loads the master key(s): the config value wins over the environment variable. Accepts a
 * comma-separated list (first = current) for master-key rotation. Throws when none is set.
 */
export function loadSecretKeys(configValue: string | undefined, env: NodeJS.ProcessEnv): Buffer[] {
  const raw = configValue ?? env[SECRET_KEY_ENV]
  if (raw === undefined || raw.trim() === '') throw new SecretBoxError(`no secret key: set ${SECRET_KEY_ENV} (base64, 32 bytes)`)
  return raw.split(',').map(decodeSecretKey)
}

/** Creates a SecretBox; the first key seals, every key is tried when opening. */
export function createSecretBox(keys: Buffer | readonly Buffer[]): SecretBox {
  const list = Buffer.isBuffer(keys) ? [keys] : [...keys]
  if (list.length === 0) throw new SecretBoxError('at least one key is required')
  for (const key of list) if (key.length !== 32) throw new SecretBoxError('AES-256-GCM keys are 32 bytes')
  const current = list[0]!
  return {
    seal(plaintext, associatedData = '') {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', current, iv)
      cipher.setAAD(Buffer.from(associatedData, 'utf8'))
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.')
    },
    open(sealed, associatedData = '') {
      const parts = sealed.split('.')
      if (parts.length !== 4 || parts[0] !== 'v1') throw new SecretBoxError('unknown sealed format')
      const iv = Buffer.from(parts[1]!, 'base64url')
      const tag = Buffer.from(parts[2]!, 'base64url')
      const ct = Buffer.from(parts[3]!, 'base64url')
      if (iv.length !== 12 || tag.length !== 16) throw new SecretBoxError('malformed sealed secret')
      for (const key of list) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
          decipher.setAAD(Buffer.from(associatedData, 'utf8'))
          decipher.setAuthTag(tag)
          return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8')
        } catch {
          // Wrong key or tampered data: GCM authentication failed; try the next key.
        }
      }
      throw new SecretBoxError('sealed secret failed authentication')
    },
  }
}
