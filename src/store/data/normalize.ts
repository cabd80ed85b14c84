/**
 * Input → full record, shared by both adapters: fills ids, timestamps and empty lists, and
 * refuses inputs that would put a secret at rest (a key in the hash or prefix column, secrets
 * in audit details). Adapters insert exactly what these return, so both dialects agree.
 */
import { newId } from './ids.js'
import { redactDetails } from './redact.js'
import type {
  ApiKeyRecord,
  ConsumerRecord,
  HmacCredentialRecord,
  NewApiKey,
  NewConsumer,
  NewHmacCredential,
  NewOAuthClient,
  OAuthClientRecord,
} from './types.js'

const SHA256_HEX = /^[0-9a-f]{64}$/
/** Longest display prefix accepted: long enough to tell keys apart, far too short to be one. */
export const MAX_PREFIX_LENGTH = 16

function list(value: readonly string[] | undefined): string[] {
  return value ? [...value] : []
}

/** A complete consumer record from creation input. */
export function normalizeConsumer(input: NewConsumer, now: number): ConsumerRecord {
  return {
    id: input.id ?? newId('con'),
    name: input.name,
    tenant: input.tenant ?? undefined,
    roles: list(input.roles),
    groups: list(input.groups),
    // Round-trip through JSON so the returned record equals what a later read gives back.
    metadata: input.metadata ? (JSON.parse(JSON.stringify(input.metadata)) as Record<string, unknown>) : {},
    createdAt: input.createdAt ?? now,
  }
}

/**
 * A complete API key record from creation input. Throws a TypeError when `hash` is not a
 * lower-case hex SHA-256 or `prefix` is long enough to be (part of) a real key: both would
 * mean a caller is about to store key material.
 */
export function normalizeApiKey(input: NewApiKey, now: number): ApiKeyRecord {
  if (!SHA256_HEX.test(input.hash)) throw new TypeError('api key hash must be a lower-case hex SHA-256')
  if (input.prefix.length > MAX_PREFIX_LENGTH) throw new TypeError(`api key prefix longer than ${MAX_PREFIX_LENGTH} characters`)
  return {
    id: input.id ?? newId('key'),
    consumerId: input.consumerId,
    prefix: input.prefix,
    hash: input.hash,
    scopes: list(input.scopes),
    allowCidrs: list(input.allowCidrs),
    allowedOrigins: list(input.allowedOrigins),
    allowedApps: list(input.allowedApps),
    rateLimit: input.rateLimit ? { limit: input.rateLimit.limit, windowMs: input.rateLimit.windowMs } : undefined,
    quota: input.quota ? { limit: input.quota.limit, period: input.quota.period } : undefined,
    expiresAt: input.expiresAt ?? undefined,
    revokedAt: undefined,
    replacedBy: undefined,
    graceUntil: undefined,
    createdAt: input.createdAt ?? now,
    lastUsedAt: undefined,
  }
}

/** A complete HMAC credential record from creation input. */
export function normalizeHmac(input: NewHmacCredential, now: number): HmacCredentialRecord {
  return {
    keyId: input.keyId,
    consumerId: input.consumerId,
    secretCiphertext: input.secretCiphertext,
    createdAt: input.createdAt ?? now,
    expiresAt: input.expiresAt ?? undefined,
    revokedAt: undefined,
  }
}

/** A complete OAuth client record from creation input. */
export function normalizeClient(input: NewOAuthClient, now: number): OAuthClientRecord {
  return {
    clientId: input.clientId,
    name: input.name,
    secretHash: input.secretHash,
    scopes: list(input.scopes),
    grants: list(input.grants),
    redirectUris: list(input.redirectUris),
    consumerId: input.consumerId ?? undefined,
    createdAt: input.createdAt ?? now,
    revokedAt: undefined,
  }
}

/** Audit details as stored: redacted and guaranteed to be a JSON object. */
export function normalizeAuditDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  return details ? (JSON.parse(JSON.stringify(redactDetails(details))) as Record<string, unknown>) : {}
}
