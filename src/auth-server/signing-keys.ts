/**
 * ES256 signing keys with rotation without downtime: a rotation makes a fresh key current and
 * keeps the previous ones in the JWKS until every token they signed has expired (`retainMs`),
 * so resource servers that cached the JWKS keep verifying old tokens while new ones use the new key.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose'
import type { SigningKeyStore, StoredSigningKey } from './stores.js'

/** The key new tokens are signed with. */
export interface ActiveSigningKey {
  kid: string
  alg: 'ES256'
  privateKey: CryptoKey
}

/** Current signing key plus the public key set (current and still-valid previous keys). */
export interface SigningKeys {
  current(): ActiveSigningKey
  /** Public keys for `/.well-known/jwks.json`: current first, then retired-but-retained ones. */
  publicJwks(): JSONWebKeySet
  /** Makes a new key current; the old one stays published for `retainMs`. */
  rotate(): Promise<void>
  /** Re-reads the store (another instance may have rotated). */
  reload(): Promise<void>
}

/** Options of {@link createSigningKeys}. */
export interface SigningKeysOptions {
  store: SigningKeyStore
  /** How long a retired key stays published: the longest token lifetime plus clock skew. */
  retainMs: number
  now?: () => number
}

/** Loads (or creates, on first start) the key set and returns the manager. */
export async function createSigningKeys(options: SigningKeysOptions): Promise<SigningKeys> {
  const now = options.now ?? Date.now
  let stored = await options.store.load()
  if (!stored || stored.length === 0) {
    stored = [await generateStoredKey(now())]
    await options.store.save(stored)
  }
  let state = await activate(stored, now(), options.retainMs)
  // Rotations are serialised so two concurrent calls cannot both demote the same key.
  let queue: Promise<void> = Promise.resolve()

  return {
    current: () => state.current,
    publicJwks: () => state.jwks,
    rotate() {
      queue = queue.then(async () => {
        const at = now()
        const latest = (await options.store.load()) ?? stored!
        const demoted = latest.map((k) => (k.retiredAtMs === undefined ? { ...k, retiredAtMs: at } : k))
        const next = prune([await generateStoredKey(at), ...demoted], at, options.retainMs)
        await options.store.save(next)
        stored = next
        state = await activate(next, at, options.retainMs)
      })
      return queue
    },
    async reload() {
      const latest = await options.store.load()
      if (latest && latest.length > 0 && latest[0]!.kid !== state.current.kid) {
        stored = latest
        state = await activate(latest, now(), options.retainMs)
      }
    },
  }
}

async function generateStoredKey(atMs: number): Promise<StoredSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  // RFC 7638 thumbprint: stable, derived from the key itself, never a path or a DB id.
  const kid = await calculateJwkThumbprint(publicJwk)
  const privateJwk = await exportJWK(privateKey)
  return {
    kid,
    alg: 'ES256',
    privateJwk: { ...privateJwk, kid, alg: 'ES256' },
    publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' },
    createdAtMs: atMs,
  }
}

function prune(keys: StoredSigningKey[], atMs: number, retainMs: number): StoredSigningKey[] {
  return keys.filter((k) => k.retiredAtMs === undefined || k.retiredAtMs + retainMs > atMs)
}

async function activate(keys: StoredSigningKey[], atMs: number, retainMs: number): Promise<{ current: ActiveSigningKey; jwks: JSONWebKeySet }> {
  const live = prune(keys, atMs, retainMs)
  const head = live[0]
  if (!head || head.retiredAtMs !== undefined) throw new Error('signing key set has no current key')
  const privateKey = (await importJWK(head.privateJwk, 'ES256')) as CryptoKey
  const publicKeys: JWK[] = live.map(({ publicJwk }) => ({
    kty: publicJwk.kty,
    crv: publicJwk.crv,
    x: publicJwk.x,
    y: publicJwk.y,
    kid: publicJwk.kid,
    alg: 'ES256',
    use: 'sig',
  }))
  return { current: { kid: head.kid, alg: 'ES256', privateKey }, jwks: { keys: publicKeys } }
}
