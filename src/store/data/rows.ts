/**
 * Row ⇄ record mapping shared by both adapters. Both dialects use the same column names and
 * store lists and objects as JSON text, so one set of mappers serves both; PostgreSQL returns
 * BIGINT as strings, hence every number goes through {@link num}.
 */
import type {
  ApiKeyRecord,
  AuditEntry,
  ConsumerRecord,
  HmacCredentialRecord,
  OAuthClientRecord,
  StatusClass,
  UsagePoint,
} from './types.js'

/** A database row as the drivers hand it over. */
export type Row = Record<string, unknown>

/** Number from an INTEGER (SQLite) or BIGINT-as-string (pg) column. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value)
}

function optNum(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : num(value)
}

function optStr(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value)
}

function json<T>(value: unknown): T {
  return JSON.parse(String(value)) as T
}

function optJson<T>(value: unknown): T | undefined {
  return value === null || value === undefined ? undefined : json<T>(value)
}

/** JSON text for a column, or null for an absent optional value. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value)
}

/** Maps a `consumers` row. */
export function consumerFromRow(row: Row): ConsumerRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    tenant: optStr(row.tenant),
    roles: json<string[]>(row.roles_json),
    groups: json<string[]>(row.groups_json),
    metadata: json<Record<string, unknown>>(row.metadata_json),
    createdAt: num(row.created_at),
  }
}

/** Maps an `api_keys` row. */
export function apiKeyFromRow(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    consumerId: String(row.consumer_id),
    prefix: String(row.prefix),
    hash: String(row.hash),
    scopes: json<string[]>(row.scopes_json),
    allowCidrs: json<string[]>(row.allow_cidrs_json),
    allowedOrigins: json<string[]>(row.allowed_origins_json),
    allowedApps: json<string[]>(row.allowed_apps_json),
    rateLimit: optJson(row.rate_limit_json),
    quota: optJson(row.quota_json),
    expiresAt: optNum(row.expires_at),
    revokedAt: optNum(row.revoked_at),
    replacedBy: optStr(row.replaced_by),
    graceUntil: optNum(row.grace_until),
    createdAt: num(row.created_at),
    lastUsedAt: optNum(row.last_used_at),
  }
}

/** Maps an `hmac_credentials` row. */
export function hmacFromRow(row: Row): HmacCredentialRecord {
  return {
    keyId: String(row.key_id),
    consumerId: String(row.consumer_id),
    secretCiphertext: String(row.secret_ciphertext),
    createdAt: num(row.created_at),
    expiresAt: optNum(row.expires_at),
    revokedAt: optNum(row.revoked_at),
  }
}

/** Maps an `oauth_clients` row. */
export function clientFromRow(row: Row): OAuthClientRecord {
  return {
    clientId: String(row.client_id),
    name: String(row.name),
    secretHash: String(row.secret_hash),
    scopes: json<string[]>(row.scopes_json),
    grants: json<string[]>(row.grants_json),
    redirectUris: json<string[]>(row.redirect_uris_json),
    consumerId: optStr(row.consumer_id),
    createdAt: num(row.created_at),
    revokedAt: optNum(row.revoked_at),
  }
}

/** Maps an `audit_log` row. */
export function auditFromRow(row: Row): AuditEntry {
  return {
    id: String(row.id),
    at: num(row.at),
    actor: String(row.actor),
    action: String(row.action),
    target: String(row.target),
    details: json<Record<string, unknown>>(row.details_json),
  }
}

/** Maps a grouped usage row (`bucket, route, status_class, count`). */
export function usagePointFromRow(row: Row): UsagePoint {
  return {
    bucket: num(row.bucket),
    route: String(row.route),
    statusClass: String(row.status_class) as StatusClass,
    count: num(row.count),
  }
}

/** An audit cursor as an integer; anything malformed becomes 0 (an empty page, not an error). */
export function auditCursor(before: string | undefined): number {
  if (before === undefined) return Number.MAX_SAFE_INTEGER
  return /^[0-9]{1,15}$/.test(before) ? Number(before) : 0
}

/** Clamps a page size to 1..1000 (default 100) so one admin call cannot pull a whole table. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 100
  return Math.min(1000, Math.max(1, Math.trunc(limit)))
}

/** Column order of {@link consumerValues}. */
export const CONSUMER_COLUMNS = ['id', 'name', 'tenant', 'roles_json', 'groups_json', 'metadata_json', 'created_at'] as const

/** Insert values of a consumer, in {@link CONSUMER_COLUMNS} order. */
export function consumerValues(r: ConsumerRecord): unknown[] {
  return [r.id, r.name, r.tenant ?? null, toJson(r.roles), toJson(r.groups), toJson(r.metadata), r.createdAt]
}

/** Column order of {@link apiKeyValues}. */
export const API_KEY_COLUMNS = [
  'id', 'consumer_id', 'prefix', 'hash', 'scopes_json', 'allow_cidrs_json', 'allowed_origins_json', 'allowed_apps_json',
  'rate_limit_json', 'quota_json', 'expires_at', 'revoked_at', 'replaced_by', 'grace_until', 'created_at', 'last_used_at',
] as const

/** Insert values of an API key, in {@link API_KEY_COLUMNS} order. */
export function apiKeyValues(r: ApiKeyRecord): unknown[] {
  return [
    r.id, r.consumerId, r.prefix, r.hash, toJson(r.scopes), toJson(r.allowCidrs), toJson(r.allowedOrigins), toJson(r.allowedApps),
    toJson(r.rateLimit), toJson(r.quota), r.expiresAt ?? null, r.revokedAt ?? null, r.replacedBy ?? null, r.graceUntil ?? null,
    r.createdAt, r.lastUsedAt ?? null,
  ]
}

/** Column order of {@link hmacValues}. */
export const HMAC_COLUMNS = ['key_id', 'consumer_id', 'secret_ciphertext', 'created_at', 'expires_at', 'revoked_at'] as const

/** Insert values of an HMAC credential, in {@link HMAC_COLUMNS} order. */
export function hmacValues(r: HmacCredentialRecord): unknown[] {
  return [r.keyId, r.consumerId, r.secretCiphertext, r.createdAt, r.expiresAt ?? null, r.revokedAt ?? null]
}

/** Column order of {@link clientValues}. */
export const CLIENT_COLUMNS = [
  'client_id', 'name', 'secret_hash', 'scopes_json', 'grants_json', 'redirect_uris_json', 'consumer_id', 'created_at', 'revoked_at',
] as const

/** Insert values of an OAuth client, in {@link CLIENT_COLUMNS} order. */
export function clientValues(r: OAuthClientRecord): unknown[] {
  return [
    r.clientId, r.name, r.secretHash, toJson(r.scopes), toJson(r.grants), toJson(r.redirectUris), r.consumerId ?? null,
    r.createdAt, r.revokedAt ?? null,
  ]
}

/** `INSERT INTO table (cols) VALUES (placeholders)` with `?` (SQLite) or `$n` (PostgreSQL) markers. */
export function insertSql(table: string, columns: readonly string[], dialect: 'sqlite' | 'postgres'): string {
  const marks = columns.map((_, i) => (dialect === 'sqlite' ? '?' : `$${i + 1}`))
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${marks.join(', ')})`
}
