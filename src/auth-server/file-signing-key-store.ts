/**
 * Persists the signing keys as JWK in `<home>/oauth-signing-keys.json` (mode 0600), so tokens
 * survive a restart and several processes sharing the home directory sign with the same keys.
 * Writes go to a temporary file and are renamed over the old one: a crash never leaves a torn file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { SigningKeyStore, StoredSigningKey } from './stores.js'

/** File name of the key set inside the gateway home directory. */
export const SIGNING_KEYS_FILE = 'oauth-signing-keys.json'

/** A SigningKeyStore backed by one JSON file under the gateway home (`PORTCULLIS_HOME`). */
export class FileSigningKeyStore implements SigningKeyStore {
  readonly path: string
  readonly #home: string

  constructor(home: string) {
    this.#home = home
    this.path = join(home, SIGNING_KEYS_FILE)
  }

  async load(): Promise<StoredSigningKey[] | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
    const parsed = JSON.parse(text) as { keys?: unknown }
    if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new Error(`${this.path}: no signing keys`)
    for (const key of parsed.keys as StoredSigningKey[]) {
      if (typeof key?.kid !== 'string' || key.alg !== 'ES256' || typeof key.privateJwk?.d !== 'string') {
        throw new Error(`${this.path}: malformed signing key entry`)
      }
    }
    return parsed.keys as StoredSigningKey[]
  }

  async save(keys: StoredSigningKey[]): Promise<void> {
    await mkdir(this.#home, { recursive: true, mode: 0o700 })
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(tmp, JSON.stringify({ keys }, null, 2), { mode: 0o600 })
    await rename(tmp, this.path)
  }
}
