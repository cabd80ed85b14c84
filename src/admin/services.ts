/**
 * What admin routes need from the gateway, passed explicitly.
 */
import type { DataStore } from '../store/data/types.js'
import type { ApiKeyVerifier } from '../policies/api-key/verifier.js'
import type { SecretBox } from '../policies/hmac/secret-box.js'
import type { AdminActor } from './router.js'

export interface AdminServices {
  data: DataStore
  apiKeys: ApiKeyVerifier
  /** Drops a cached HMAC credential (revoke, rotate). */
  invalidateHmac(keyId: string): void
  secretBox: SecretBox
}

/** Appends an audit entry for an admin change (never a secret in `details`). */
export async function audit(data: DataStore, actor: AdminActor | undefined, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
  await data.appendAudit({ actor: actor?.name ?? 'unknown', action, target, details: { ...details, roles: actor?.roles } })
}
