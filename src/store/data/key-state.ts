/**
 * Whether a stored API key may authenticate right now, in one place, so the api-key policy,
 * the admin API and the CLI agree on what "revoked", "expired" and "grace period" mean.
 */
import type { ApiKeyRecord } from './types.js'

/** `active` keys authenticate; every other state is refused (with one generic client message). */
export type ApiKeyState = 'active' | 'revoked' | 'expired' | 'rotated'

/**
 * The key's state at `now` (epoch ms). Revocation wins over everything; a rotated key stays
 * `active` until its `graceUntil`, then reports `rotated`; expiry applies during grace too.
 */
export function apiKeyState(key: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt' | 'replacedBy' | 'graceUntil'>, now: number): ApiKeyState {
  if (key.revokedAt !== undefined && key.revokedAt <= now) return 'revoked'
  if (key.expiresAt !== undefined && key.expiresAt <= now) return 'expired'
  if (key.replacedBy !== undefined && (key.graceUntil === undefined || key.graceUntil <= now)) return 'rotated'
  return 'active'
}
