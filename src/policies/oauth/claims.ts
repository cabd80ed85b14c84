/**
 * Maps verified JWT claims to the gateway's Principal. Claim names are configurable because
 * issuers disagree (`scope` vs `scp`, `roles` vs `realm_access.roles`, `tenant` vs `tid`).
 */
import type { JWTPayload } from 'jose'
import type { Principal } from '../../core/types.js'

/** Where the mapped values live in the claims. */
export interface ClaimMapping {
  tenantClaim: string
  rolesClaim: string
  scopeClaim: string
}

/** Reads a claim by dotted path (`realm_access.roles`); own properties only. */
export function readClaim(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

/** A list claim given as an array of strings or a space-separated string. */
export function readList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s.length > 0)
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string' && s.length > 0)
  return []
}

/** Builds the Principal for a verified access token. */
export function toPrincipal(claims: JWTPayload, mapping: ClaimMapping): Principal {
  const subject = String(claims.sub)
  const tenant = readClaim(claims, mapping.tenantClaim)
  const clientId = claims['client_id'] ?? claims['azp']
  return {
    subject,
    consumerId: subject,
    tenant: typeof tenant === 'string' ? tenant : undefined,
    method: 'oauth',
    scopes: readList(readClaim(claims, mapping.scopeClaim)),
    roles: readList(readClaim(claims, mapping.rolesClaim)),
    credentialId: typeof clientId === 'string' ? clientId : undefined,
    claims: Object.freeze({ ...claims }),
  }
}
