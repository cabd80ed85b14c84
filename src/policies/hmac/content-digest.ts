/**
 * RFC 9530 `Content-Digest`: create and verify sha-256 / sha-512 digests of the content bytes.
 *
 * A signature covers the `Content-Digest` *header*, not the body (RFC 9421 §7.2.8), so the
 * verifier must hash the bytes it actually received. Only the two active algorithms count:
 * the deprecated ones (md5, sha, crc32c, ...) are ignored, and every sha-256 / sha-512 member
 * present must match — accepting "any one that matches" would allow a downgrade (§6.6).
 */
import { hash, timingSafeEqual } from 'node:crypto'
import { byteSequenceBytes, parseDictionaryStrict, DictionaryError } from './sf-dictionary.js'
import { serializeDictionary } from './sf-serialize.js'

/** The digest algorithms this gateway accepts and produces. */
export type DigestAlgorithm = 'sha-256' | 'sha-512'

const NODE_HASH: Record<DigestAlgorithm, string> = { 'sha-256': 'sha256', 'sha-512': 'sha512' }

/** Hashes `content` with one RFC 9530 algorithm. */
export function digestBytes(content: Uint8Array, algorithm: DigestAlgorithm): Buffer {
  // One-shot hash: no Hash object per request.
  return hash(NODE_HASH[algorithm], content, 'buffer')
}

/**
 * Builds a `Content-Digest` field value, e.g. `sha-256=:X48E9qOo...=:`.
 * Several algorithms produce several members, in the order given.
 */
export function createContentDigest(content: Uint8Array, algorithms: readonly DigestAlgorithm[] = ['sha-256']): string {
  return serializeDictionary(new Map(algorithms.map((alg) => [alg, [digestBytes(content, alg), new Map()]])))
}

/** Outcome of checking a `Content-Digest` field against received bytes. */
export type DigestCheck =
  | { ok: true; algorithms: DigestAlgorithm[] }
  | { ok: false; reason: 'digest_malformed' | 'digest_unsupported' | 'digest_mismatch'; message: string }

/**
 * Checks a `Content-Digest` field value against the content actually received.
 * Fails when the field is not a valid duplicate-free Dictionary of byte sequences, when no
 * accepted algorithm is present, or when any accepted algorithm's digest differs.
 */
export function verifyContentDigest(
  fieldValue: string,
  content: Uint8Array,
  accept: readonly DigestAlgorithm[] = ['sha-256', 'sha-512'],
): DigestCheck {
  let dict
  try {
    dict = parseDictionaryStrict(fieldValue)
  } catch (error) {
    const message = error instanceof DictionaryError ? error.message : 'unparseable'
    return { ok: false, reason: 'digest_malformed', message }
  }
  const checked: DigestAlgorithm[] = []
  for (const [name, member] of dict) {
    if (!(accept as readonly string[]).includes(name)) continue
    const received = byteSequenceBytes(member[0])
    if (received === undefined) return { ok: false, reason: 'digest_malformed', message: `${name} is not a byte sequence` }
    const alg = name as DigestAlgorithm
    const expected = digestBytes(content, alg)
    // Lengths are public (fixed per algorithm); only the bytes are compared in constant time.
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      return { ok: false, reason: 'digest_mismatch', message: `${name} does not match the received content` }
    }
    checked.push(alg)
  }
  if (checked.length === 0) return { ok: false, reason: 'digest_unsupported', message: 'no sha-256 or sha-512 member' }
  return { ok: true, algorithms: checked }
}
