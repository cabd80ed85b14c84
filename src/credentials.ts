/**
 * Gateway-wide credential lookups over the data store: API keys (hash → key, cached) and HMAC
 * credentials (key id → opened secret or public key, cached). Shared by every route and invalidated
 * by the admin API, so a revoke takes effect at once on this instance.
 */
import type { DataStore } from './store/data/types.js'
import type { CredentialServices } from './core/types.js'
import type { SecretBox } from './policies/hmac/secret-box.js'
import { createApiKeyVerifier } from './policies/api-key/verifier.js'
import { createStoredKeyResolver } from './policies/hmac/key-resolver.js'
import { ED25519_MATERIAL_PREFIX } from './admin/hmac-routes.js'

export interface GatewayCredentials extends CredentialServices {
  invalidateHmac(keyId: string): void
}

export function createCredentialServices(data: DataStore, box: SecretBox, options: { cacheTtlMs?: number } = {}): GatewayCredentials {
  const apiKeys = createApiKeyVerifier(data, { cacheTtlMs: options.cacheTtlMs ?? 10_000 })
  const hmac = createStoredKeyResolver(
    async (keyId) => {
      const row = await data.findHmacCredential(keyId)
      if (!row) return null
      const consumer = await data.getConsumer(row.consumerId)
      if (!consumer) return null
      const now = Date.now()
      const ed25519 = row.secretCiphertext.startsWith(ED25519_MATERIAL_PREFIX)
      // A revocation in the future is a rotation grace period: the key works until then.
      const endsAt = [row.expiresAt, row.revokedAt].filter((t): t is number => t !== undefined)
      return {
        keyId: row.keyId,
        consumerId: row.consumerId,
        alg: ed25519 ? 'ed25519' : 'hmac-sha256',
        keyMaterial: ed25519 ? toPem(row.secretCiphertext.slice(ED25519_MATERIAL_PREFIX.length)) : row.secretCiphertext,
        expiresAtMs: endsAt.length > 0 ? Math.min(...endsAt) : undefined,
        revoked: row.revokedAt !== undefined && row.revokedAt <= now,
        subject: consumer.id,
        tenant: consumer.tenant,
        roles: consumer.roles,
        groups: consumer.groups,
      }
    },
    box,
    { cacheTtlMs: options.cacheTtlMs ?? 10_000 },
  )
  return { apiKeys, hmacKeys: hmac.resolve, invalidateHmac: hmac.invalidate }
}

function toPem(base64Der: string): string {
  const lines = base64Der.match(/.{1,64}/g) ?? []
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`
}
