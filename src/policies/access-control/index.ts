/**
 * access-control (authz). Threat: broken object-level, function-level and property-level
 * authorisation (OWASP API1, API5, API3) — a valid credential reaching another tenant's or user's
 * data, a read-only consumer calling write or admin functions, a client setting `role`,
 * `isAdmin` or `price` in a body the upstream binds blindly (mass assignment).
 * Failure mode: deny by default. A method no rule covers is refused; a request without a
 * Principal is refused unless a rule says `allowAnonymous`; a tenant, owner or body that cannot
 * be read unambiguously is refused. Every refusal is a 403 with one generic detail; the precise
 * reason goes to the security event only. This stage never answers 401: challenges belong to the
 * authn stage, and a request reaching authz without a Principal had no authn to satisfy.
 *
 * The body is read only when a tenant-from-body or property rule needs it (JSON only).
 */
import type { Policy } from '../../core/types.js'
import { createAccessControlHandler, checkAccessControlConfig } from './access-control.js'
import { AccessControlSchema } from './schema.js'

export { createAccessControlHandler, checkAccessControlConfig, ACCESS_DENIED_DETAIL, type AccessControlInput } from './access-control.js'
export { AccessControlSchema, type AccessControlConfig, type AccessRule, type PropertyRule } from './schema.js'
export { compileRules, selectRule, isNoStricter, type CompiledRule, type RuleInput } from './rules.js'
export { compileRoles, checkRoles, type RoleTable } from './roles.js'

/** The `access-control` registry entry. */
export const accessControlPolicy: Policy<typeof AccessControlSchema> = {
  name: 'access-control',
  stage: 'authz',
  schema: AccessControlSchema,
  // The pipeline only buffers bodies a policy actually reads; this handler calls ctx.readBody()
  // solely for tenant-from-body and property rules on requests that carry a JSON body.
  readsBody: true,
  check: checkAccessControlConfig,
  create: (config, deps) => createAccessControlHandler(config, deps.events),
}
