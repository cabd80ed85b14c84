/**
 * In-memory implementations of the auth-server seams, for tests and single-instance demos. They
 * are NOT shared between processes: production backs TokenStateStore with the shared state store.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto'
import { hashSecret } from './secrets.js'
import type {
  ClientRecord,
  ClientStore,
  SigningKeyStore,
  StoredSigningKey,
  TokenStateStore,
  UserRecord,
  UserStore,
} from './stores.js'

/** Clients in a Map; `addClient` takes the plaintext secret and keeps only its hash. */
export class MemoryClientStore implements ClientStore {
  readonly #clients = new Map<string, ClientRecord>()

  /** Registers a client; the plaintext secret is hashed and dropped. */
  addClient(client: Omit<ClientRecord, 'secretHash'> & { secret: string }): ClientRecord {
    const { secret, ...rest } = client
    const record: ClientRecord = { ...rest, secretHash: hashSecret(secret) }
    this.#clients.set(record.clientId, record)
    return record
  }

  async findClient(clientId: string): Promise<ClientRecord | null> {
    return this.#clients.get(clientId) ?? null
  }
}

/** A TTL'd Map; expired entries are dropped lazily on read and on a bounded sweep per write. */
export class MemoryTokenStateStore implements TokenStateStore {
  readonly #entries = new Map<string, { value: string; expiresAtMs: number }>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false
    this.#write(key, value, ttlMs)
    return true
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key) ?? null
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#write(key, value, ttlMs)
  }

  /** Number of live entries (tests use it to check nothing leaks). */
  get size(): number {
    return this.#entries.size
  }

  #live(key: string): string | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  #write(key: string, value: string, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAtMs: this.#now() + Math.max(1, ttlMs) })
    // Sweep a few of the oldest entries so a long-lived process does not grow without bound.
    let checked = 0
    for (const [k, e] of this.#entries) {
      if (++checked > 8) break
      if (e.expiresAtMs <= this.#now()) this.#entries.delete(k)
    }
  }
}

/** Keeps the signing keys in memory (tests; keys vanish on restart). */
export class MemorySigningKeyStore implements SigningKeyStore {
  #keys: StoredSigningKey[] | null = null

  async load(): Promise<StoredSigningKey[] | null> {
    return this.#keys ? this.#keys.map((k) => ({ ...k })) : null
  }

  async save(keys: StoredSigningKey[]): Promise<void> {
    this.#keys = keys.map((k) => ({ ...k }))
  }
}

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 } as const

/** Local users with scrypt-hashed passwords (passwords are human-chosen, so a slow KDF is due). */
export class MemoryUserStore implements UserStore {
  readonly #users = new Map<string, { salt: Buffer; hash: Buffer; user: UserRecord }>()
  // A fixed dummy record so an unknown username costs the same scrypt as a known one.
  readonly #dummy = { salt: randomBytes(16), hash: randomBytes(SCRYPT.keyLength) }

  /** Adds a user; the password is hashed with scrypt and dropped. */
  addUser(username: string, password: string, user: UserRecord): void {
    const salt = randomBytes(16)
    this.#users.set(username, { salt, hash: derive(password, salt), user })
  }

  async authenticate(username: string, password: string): Promise<UserRecord | null> {
    const entry = this.#users.get(username)
    const record = entry ?? this.#dummy
    const ok = timingSafeEqual(derive(password, record.salt), record.hash)
    return ok && entry ? entry.user : null
  }
}

function derive(password: string, salt: Buffer): Buffer {
  return scryptSync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p })
}
