/**
 * The durable data seam: consumers, API keys, HMAC credentials, OAuth clients, the audit log,
 * usage analytics and quota counters. Two adapters (SQLite, PostgreSQL) implement it and one
 * conformance suite (`conformance.ts`) holds them to the same behaviour.
 *
 * Conventions: every method is async (PostgreSQL is remote even when SQLite is not); every
 * timestamp is an integer of epoch milliseconds (UTC); optional fields read back as `undefined`
 * (never `null`); lists come back as fresh arrays the caller may mutate. Unique or reference
 * violations throw {@link DataStoreError} (see `errors.ts`), a missing row returns `null`.
 */

/** A party that calls the gateway's APIs: owns keys, HMAC credentials and OAuth clients. */
export interface ConsumerRecord {
  id: string
  name: string
  /** Tenant for isolation checks; absent for single-tenant deployments. */
  tenant?: string | undefined
  roles: string[]
  groups: string[]
  /** Free-form JSON the operator attaches (never secrets). */
  metadata: Record<string, unknown>
  createdAt: number
}

/** Input of {@link DataStore.createConsumer}; the store fills `id` and `createdAt` when absent. */
export interface NewConsumer {
  id?: string
  name: string
  tenant?: string | undefined
  roles?: string[]
  groups?: string[]
  metadata?: Record<string, unknown>
  createdAt?: number
}

/** Fields {@link DataStore.updateConsumer} may change; `tenant: null` clears the tenant. */
export interface ConsumerPatch {
  name?: string
  tenant?: string | null
  roles?: string[]
  groups?: string[]
  metadata?: Record<string, unknown>
}

/** Per-key rate limit overriding the route's per-key limit. */
export interface KeyRateLimit {
  limit: number
  windowMs: number
}

/** Per-key quota: `limit` requests per calendar `period` (UTC). */
export interface KeyQuota {
  limit: number
  period: 'day' | 'month'
}

/**
 * A stored API key. Only `hash` (hex SHA-256 of the full key) identifies it; the key itself is
 * never stored, so a database leak yields nothing that authenticates.
 */
export interface ApiKeyRecord {
  id: string
  consumerId: string
  /** Non-secret display part (e.g. `pcl_live_Ab3`), shown in lists so users can tell keys apart. */
  prefix: string
  /** Lower-case hex SHA-256 of the full key. */
  hash: string
  scopes: string[]
  /** IPv4/IPv6 CIDRs (or bare addresses) the key may be used from; empty = anywhere. */
  allowCidrs: string[]
  /** Origin / Referer patterns of browser apps allowed to use the key; empty = any. */
  allowedOrigins: string[]
  /** App identities (app-identity header) of mobile apps allowed to use the key; empty = any. */
  allowedApps: string[]
  rateLimit?: KeyRateLimit | undefined
  quota?: KeyQuota | undefined
  expiresAt?: number | undefined
  revokedAt?: number | undefined
  /** Id of the key that replaced this one by rotation. */
  replacedBy?: string | undefined
  /** After rotation, this key keeps working until this instant. */
  graceUntil?: number | undefined
  createdAt: number
  lastUsedAt?: number | undefined
}

/** Input of {@link DataStore.createApiKey}; rotation fields are set only by `rotateApiKey`. */
export interface NewApiKey {
  id?: string
  consumerId: string
  prefix: string
  hash: string
  scopes?: string[]
  allowCidrs?: string[]
  allowedOrigins?: string[]
  allowedApps?: string[]
  rateLimit?: KeyRateLimit | undefined
  quota?: KeyQuota | undefined
  expiresAt?: number | undefined
  createdAt?: number
}

/** An HMAC (RFC 9421) credential; the secret is encrypted by the caller before it gets here. */
export interface HmacCredentialRecord {
  keyId: string
  consumerId: string
  /** Opaque to the store: the caller encrypts and decrypts. */
  secretCiphertext: string
  createdAt: number
  expiresAt?: number | undefined
  revokedAt?: number | undefined
}

/** Input of {@link DataStore.createHmacCredential}. */
export interface NewHmacCredential {
  keyId: string
  consumerId: string
  secretCiphertext: string
  createdAt?: number
  expiresAt?: number | undefined
}

/** An OAuth 2.0 client of the built-in authorization server. */
export interface OAuthClientRecord {
  clientId: string
  name: string
  /** Hash of the client secret (the caller chooses the scheme); never the secret. */
  secretHash: string
  scopes: string[]
  grants: string[]
  redirectUris: string[]
  consumerId?: string | undefined
  createdAt: number
  revokedAt?: number | undefined
}

/** Input of {@link DataStore.createClient}. */
export interface NewOAuthClient {
  clientId: string
  name: string
  secretHash: string
  scopes?: string[]
  grants?: string[]
  redirectUris?: string[]
  consumerId?: string | undefined
  createdAt?: number
}

/** One admin change. `details` is JSON and must never carry secrets (the store redacts likely ones). */
export interface AuditEntry {
  /** Monotonic per store; newer entries have larger ids (compare as integers). */
  id: string
  at: number
  actor: string
  action: string
  target: string
  details: Record<string, unknown>
}

/** Input of {@link DataStore.appendAudit}. */
export interface NewAuditEntry {
  at?: number
  actor: string
  action: string
  target: string
  details?: Record<string, unknown>
}

/** Filter of {@link DataStore.listAudit}; newest first. */
export interface AuditQuery {
  actor?: string
  action?: string
  target?: string
  /** Only entries with `id` smaller than this (cursor: pass the last id of the previous page). */
  before?: string
  /** Default 100, at most 1000. */
  limit?: number
}

/** Response status class used in usage analytics. */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx'

/** Granularity of usage buckets. */
export type UsageGranularity = 'minute' | 'hour' | 'day'

/** A usage increment: `count` requests in the minute starting at `minute`. */
export interface UsageRow {
  keyId?: string | undefined
  consumerId?: string | undefined
  route: string
  statusClass: StatusClass
  /** Start of the minute bucket, epoch ms (a multiple of 60 000). */
  minute: number
  count: number
}

/** Filter of {@link DataStore.usage}. `from` inclusive, `to` exclusive, both on bucket starts. */
export interface UsageQuery {
  keyId?: string
  consumerId?: string
  from?: number
  to?: number
  granularity: UsageGranularity
}

/** One bucket of a usage answer, summed over everything the query's filter matched. */
export interface UsagePoint {
  /** Start of the bucket, epoch ms (UTC minute, hour or day). */
  bucket: number
  route: string
  statusClass: StatusClass
  count: number
}

/** Upper bounds (exclusive, on bucket starts) of {@link DataStore.pruneUsage}, per granularity. */
export interface UsagePruneBefore {
  minute?: number
  hour?: number
  day?: number
}

/** Paging for list methods: ordered by id, `after` is the last id of the previous page. */
export interface Page {
  after?: string
  /** Default 100, at most 1000. */
  limit?: number
}

/** The durable store. One instance per process; share it, do not open one per request. */
export interface DataStore {
  /** `sqlite` or `postgres`, for logs and metrics. */
  readonly kind: string
  /** Resolves when the store answers; rejects when it is down (readiness probe). */
  ping(): Promise<void>
  /** Closes connections; the instance is unusable afterwards. */
  close(): Promise<void>

  createConsumer(input: NewConsumer): Promise<ConsumerRecord>
  getConsumer(id: string): Promise<ConsumerRecord | null>
  listConsumers(query?: Page & { tenant?: string }): Promise<ConsumerRecord[]>
  /** Returns the updated record, or null when the consumer does not exist. */
  updateConsumer(id: string, patch: ConsumerPatch): Promise<ConsumerRecord | null>

  /** Throws `DataStoreError('conflict')` on a duplicate id/hash, `('not_found')` for an unknown consumer. */
  createApiKey(input: NewApiKey): Promise<ApiKeyRecord>
  /** The hot-path lookup: callers should cache it (short TTL) and drop the entry on revoke. */
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>
  getApiKey(id: string): Promise<ApiKeyRecord | null>
  listApiKeys(consumerId?: string): Promise<ApiKeyRecord[]>
  /** Sets `revokedAt` (kept from the first revoke); null when the key does not exist. */
  revokeApiKey(id: string, at?: number): Promise<ApiKeyRecord | null>
  /**
   * Atomically stores `newRecord` and marks the old key `replacedBy` it, usable until
   * `graceUntil`. Null when the old key does not exist; `DataStoreError('conflict')` when it is
   * revoked or already rotated (rotate the newest key instead).
   */
  rotateApiKey(oldId: string, newRecord: NewApiKey, graceUntil: number): Promise<ApiKeyRecord | null>
  /** Records the last use; callers should throttle it (e.g. once a minute per key). */
  touchApiKey(id: string, at: number): Promise<void>

  createHmacCredential(input: NewHmacCredential): Promise<HmacCredentialRecord>
  findHmacCredential(keyId: string): Promise<HmacCredentialRecord | null>
  listHmacCredentials(consumerId: string): Promise<HmacCredentialRecord[]>
  revokeHmacCredential(keyId: string, at?: number): Promise<HmacCredentialRecord | null>

  createClient(input: NewOAuthClient): Promise<OAuthClientRecord>
  getClient(clientId: string): Promise<OAuthClientRecord | null>
  listClients(query?: Page): Promise<OAuthClientRecord[]>
  revokeClient(clientId: string, at?: number): Promise<OAuthClientRecord | null>

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>

  /** Adds a batch of increments to the minute, hour and day tables in one transaction. */
  recordUsage(batch: readonly UsageRow[]): Promise<void>
  usage(query: UsageQuery): Promise<UsagePoint[]>
  /** Deletes old buckets (retention); returns the number of rows removed. */
  pruneUsage(before: UsagePruneBefore): Promise<number>

  /** Atomically adds `by` to the counter of (subject, periodStart) and returns the new total. */
  incrementQuota(subject: string, periodStart: number, by: number): Promise<number>
  /** The counter's current total (0 when never incremented). */
  getQuota(subject: string, periodStart: number): Promise<number>
  /** Deletes counters of periods that started before `periodStart`; returns rows removed. */
  pruneQuota(periodStart: number): Promise<number>
}
