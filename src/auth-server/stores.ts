/**
 * The small storage seams the authorization server and the `oauth` policy need. They are kept
 * here (not in src/store/) so this folder can be built and tested while the real stores are
 * written elsewhere; the integrator backs them with the state store (hot, TTL'd keys) and the
 * data store (clients, users). In-memory implementations live in memory-stores.ts.
 */
import type { JWK } from 'jose'

/** Grant types the server implements. */
export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token'

/** A registered OAuth client. Only a hash of the secret is ever stored. */
export interface ClientRecord {
  clientId: string
  /** Hex SHA-256 of the (high-entropy, server-generated) client secret. */
  secretHash: string
  /** Scopes the client may request (the ceiling for every grant). */
  scopes: readonly string[]
  grants: readonly GrantType[]
  /** Exact redirect URIs for `authorization_code` (compared as exact strings, RFC 9700 §4.1.3). */
  redirectUris: readonly string[]
  /** Consumer the client acts as for `client_credentials` (becomes `sub`); default the client id. */
  consumerId?: string | undefined
  tenant?: string | undefined
  roles?: readonly string[] | undefined
  /** True for resource servers allowed to introspect any token; others only their own. */
  canIntrospect?: boolean | undefined
}

/** Looks up clients by id. */
export interface ClientStore {
  findClient(clientId: string): Promise<ClientRecord | null>
}

/**
 * Hot, shared, expiring key/value state (refresh-token families, revocation lists, one-time
 * codes). Must be shared by every gateway instance so a revocation is seen by all of them.
 */
export interface TokenStateStore {
  /** Atomically stores `value` when `key` is absent; true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  get(key: string): Promise<string | null>
  set(key: string, value: string, ttlMs: number): Promise<void>
}

/** A local (resource-owner) user as seen by the login page. */
export interface UserRecord {
  subject: string
  tenant?: string | undefined
  roles?: readonly string[] | undefined
  /** When present, the ceiling of scopes this user may consent to. */
  scopes?: readonly string[] | undefined
}

/** Verifies local users' passwords (slow KDF, constant-time compare, inside the store). */
export interface UserStore {
  authenticate(username: string, password: string): Promise<UserRecord | null>
}

/** One persisted signing key pair. */
export interface StoredSigningKey {
  kid: string
  alg: 'ES256'
  privateJwk: JWK
  publicJwk: JWK
  createdAtMs: number
  /** Set when a newer key took over; the key then only verifies until its tokens expire. */
  retiredAtMs?: number | undefined
}

/** Persists the signing key set (current first, then previous keys). */
export interface SigningKeyStore {
  load(): Promise<StoredSigningKey[] | null>
  save(keys: StoredSigningKey[]): Promise<void>
}
