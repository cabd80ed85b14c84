/**
 * The access-control decision for one request, compiled once per route:
 * rule (by method) → ACL → roles / permissions / scopes → tenant → owner → property rules.
 * Checks that need no body run first, so an unauthorised client is refused before its body is read.
 */
import type { RequestContext } from '../../core/context.js'
import type { SecurityEvents } from '../../core/events.js'
import type { PolicyHandler, Principal, Rejection } from '../../core/types.js'
import { applyPropertyRules, compilePropertyRules, readJsonBody, type JsonBody } from './body-rules.js'
import { compileFieldPath, getAtPath, type FieldPath } from './json-body.js'
import { checkRoles, compileRoles } from './roles.js'
import { checkRules, compileRules, evaluateRule, selectRule, type RuleFailure } from './rules.js'
import type { AccessControlConfig, AccessRule } from './schema.js'

/** Client-facing detail of every access refusal: one text, so refusals cannot be told apart. */
export const ACCESS_DENIED_DETAIL = 'You do not have access to this resource.'
const SCOPE_DETAIL = 'The credential does not carry the scopes this request needs.'

/**
 * The config shape `createAccessControlHandler` accepts: the schema's type with every defaulted
 * member optional, so library callers and tests need not spell out defaults.
 */
export interface AccessControlInput {
  roles?: Readonly<Record<string, { inherits?: readonly string[]; permissions?: readonly string[] }>>
  rules?: readonly AccessRule[]
  acl?: { allow?: readonly string[]; deny?: readonly string[] } | undefined
  tenant?: { from: 'path' | 'header' | 'body'; name: string; methods?: readonly string[] | undefined } | undefined
  owner?: { param: string; claim?: string; exemptRoles?: readonly string[] } | undefined
  properties?: readonly { field: string; roles?: readonly string[]; action?: 'refuse' | 'strip' }[]
}

// The schema's parsed type must stay assignable to the input type.
const _parsedIsInput = (c: AccessControlConfig): AccessControlInput => c
void _parsedIsInput

/**
 * Every cross-field problem of an access-control config (role cycles, unknown roles, anonymous
 * rules with requirements), each with a JSON pointer relative to the policy's `config` block.
 */
export function checkAccessControlConfig(config: AccessControlInput): { path: string; message: string }[] {
  const roleIssues = checkRoles(config.roles ?? {})
  // Rules cannot be judged against a broken role table; report the table first.
  if (roleIssues.length > 0) return roleIssues
  const roles = compileRoles(config.roles ?? {})
  const issues = checkRules(config.rules ?? [], roles)
  const knownRole = (name: string): boolean => !roles.defined || roles.has(name)
  config.properties?.forEach((p, i) =>
    p.roles?.forEach((r, j) => {
      if (!knownRole(r)) issues.push({ path: `/properties/${i}/roles/${j}`, message: `unknown role ${JSON.stringify(r)} (not in the roles table)` })
    }),
  )
  config.owner?.exemptRoles?.forEach((r, j) => {
    if (!knownRole(r)) issues.push({ path: `/owner/exemptRoles/${j}`, message: `unknown role ${JSON.stringify(r)} (not in the roles table)` })
  })
  return issues
}

/** Builds the per-route handler; throws an Error listing every config problem (fails at load). */
export function createAccessControlHandler(config: AccessControlInput, events?: SecurityEvents): PolicyHandler {
  const issues = checkAccessControlConfig(config)
  if (issues.length > 0) throw new Error(`access-control: invalid config:\n${issues.map((i) => `  ${i.path}  ${i.message}`).join('\n')}`)
  const roles = compileRoles(config.roles ?? {})
  const rules = compileRules(config.rules ?? [])
  const allow = new Set(config.acl?.allow ?? [])
  const deny = new Set(config.acl?.deny ?? [])
  const tenant = config.tenant && {
    from: config.tenant.from,
    name: config.tenant.from === 'header' ? config.tenant.name.toLowerCase() : config.tenant.name,
    bodyPath: config.tenant.from === 'body' ? compileFieldPath(config.tenant.name) : undefined,
    methods: config.tenant.methods ? new Set<string>(config.tenant.methods) : undefined,
    where: `${config.tenant.from} ${config.tenant.name}`,
  }
  const owner = config.owner && { param: config.owner.param, claim: config.owner.claim ?? 'sub', exempt: config.owner.exemptRoles ?? [] }
  const properties = compilePropertyRules(config.properties ?? [])

  return {
    onRequest(ctx) {
      const principal = ctx.principal
      const rule = selectRule(rules, ctx.method)
      if (!rule) return deny403(`no rule covers ${ctx.method} (deny by default)`)
      const effective = principal ? roles.expand(principal.roles) : new Set<string>()
      // The ACL runs before the rule so a denied consumer is refused as such whatever its roles.
      const aclReason = principal ? checkAcl(principal, allow, deny) : allow.size > 0 ? 'anonymous request, ACL allow list set' : undefined
      if (aclReason) return deny403(aclReason)
      const failure = evaluateRule(rule, principal, effective, roles)
      if (failure) return ruleRejection(rule.index, failure, principal)

      const tenantApplies = tenant !== undefined && (!tenant.methods || tenant.methods.has(ctx.method))
      if (tenantApplies && !principal) return { code: 'ERR_TENANT_MISMATCH', detail: ACCESS_DENIED_DETAIL, reason: 'anonymous request on a tenant-bound route' }
      if (tenantApplies && tenant.from !== 'body') {
        const refusal = checkTenant(principal!, tenant.from === 'path' ? ctx.params[tenant.name] : ctx.headers[tenant.name], tenant.where)
        if (refusal) return refusal
      }
      if (owner) {
        const refusal = checkOwner(owner, principal, effective, ctx.params[owner.param])
        if (refusal) return refusal
      }
      const needsBody = (tenantApplies && tenant.from === 'body') || properties.length > 0
      if (!needsBody) return null
      return checkBody(ctx, principal, effective, tenantApplies ? tenant.bodyPath : undefined)
    },
  }

  async function checkBody(ctx: RequestContext, principal: Principal | undefined, effective: ReadonlySet<string>, tenantPath: FieldPath | undefined): Promise<Rejection | null> {
    const body: JsonBody | Rejection = await readJsonBody(ctx)
    if ('code' in body) return body
    if (tenantPath) {
      const named = body.present ? getAtPath(body.value, tenantPath) : undefined
      const refusal = checkTenant(principal!, named, `body ${tenantPath.source}`)
      if (refusal) return refusal
    }
    if (!body.present || properties.length === 0) return null
    const outcome = applyPropertyRules(properties, body.value, effective)
    if (outcome.refused !== undefined) {
      return deny403(`property rule: ${outcome.refused} may not be set by roles [${[...effective].join(', ')}]`)
    }
    if (outcome.stripped.length > 0) {
      ctx.replaceBody(Buffer.from(JSON.stringify(body.value), 'utf8'))
      events?.publish({
        type: 'access-control.strip',
        action: 'info',
        requestId: ctx.id,
        policy: 'access-control',
        route: ctx.route.name,
        method: ctx.method,
        path: ctx.path,
        clientIp: ctx.clientIp,
        principal: principal && { subject: principal.subject, consumerId: principal.consumerId, method: principal.method, credentialId: principal.credentialId, tenant: principal.tenant },
        reason: `stripped ${outcome.stripped.join(', ')}`,
        details: { fields: outcome.stripped },
      })
    }
    return null
  }
}

function deny403(reason: string): Rejection {
  return { code: 'ERR_ACCESS_DENIED', detail: ACCESS_DENIED_DETAIL, reason }
}

function ruleRejection(index: number, failure: RuleFailure, principal: Principal | undefined): Rejection {
  switch (failure.kind) {
    case 'anonymous':
      // Authz never answers 401: the authn stage owns challenges. No Principal here means the
      // route has no (enforcing) authn policy for this method, so the safe answer is 403.
      return deny403(`anonymous: rule ${index} needs a Principal`)
    case 'role':
      return deny403(`rule ${index}: needs one of roles [${failure.required.join(', ')}], principal has [${principal?.roles.join(', ') ?? ''}]`)
    case 'permission':
      return deny403(`rule ${index}: missing permissions [${failure.missing.join(', ')}]`)
    case 'scope': {
      const headers = principal?.method === 'oauth' ? { 'www-authenticate': `Bearer error="insufficient_scope", scope="${failure.required.join(' ')}"` } : undefined
      return { code: 'ERR_INSUFFICIENT_SCOPE', detail: SCOPE_DETAIL, reason: `rule ${index}: missing scopes [${failure.missing.join(', ')}]`, ...(headers && { headers }) }
    }
  }
}

function checkAcl(principal: Principal, allow: ReadonlySet<string>, deny: ReadonlySet<string>): string | undefined {
  const groups = principal.groups ?? []
  if (deny.has(principal.consumerId)) return `acl deny: consumer ${principal.consumerId}`
  const deniedGroup = groups.find((g) => deny.has(`group:${g}`))
  if (deniedGroup !== undefined) return `acl deny: group ${deniedGroup}`
  if (allow.size === 0 || allow.has(principal.consumerId) || groups.some((g) => allow.has(`group:${g}`))) return undefined
  return `acl: consumer ${principal.consumerId} is not on the allow list`
}

function tenantRejection(reason: string): Rejection {
  return { code: 'ERR_TENANT_MISMATCH', detail: ACCESS_DENIED_DETAIL, reason }
}

function checkTenant(principal: Principal, named: unknown, where: string): Rejection | null {
  const bound = principal.tenant
  if (typeof bound !== 'string' || bound === '') return tenantRejection(`principal ${principal.consumerId} has no tenant; ${where} is tenant-bound`)
  if (named === undefined) return tenantRejection(`request names no tenant in ${where}`)
  // Only a single string counts: a repeated header or a JSON array must not smuggle a second value.
  if (typeof named !== 'string') return tenantRejection(`tenant in ${where} is not a single string`)
  if (named !== bound) return tenantRejection(`tenant mismatch: principal tenant ${JSON.stringify(bound)}, ${where} names ${JSON.stringify(named)}`)
  return null
}

function checkOwner(
  owner: { param: string; claim: string; exempt: readonly string[] },
  principal: Principal | undefined,
  effective: ReadonlySet<string>,
  value: string | undefined,
): Rejection | null {
  if (!principal) return deny403('anonymous request on an owner-checked route')
  if (owner.exempt.some((r) => effective.has(r))) return null
  const claimed = claimValue(principal, owner.claim)
  if (value === undefined || value === '') return deny403(`owner check: path parameter ${owner.param} is absent`)
  if (claimed === undefined) return deny403(`owner check: principal has no ${owner.claim} claim`)
  if (claimed !== value) return deny403(`owner check: ${owner.param}=${JSON.stringify(value)} is not ${owner.claim}=${JSON.stringify(claimed)}`)
  return null
}

/** The principal's value for an owner claim: `sub`, `consumerId`, or a string / integer claim. */
function claimValue(principal: Principal, claim: string): string | undefined {
  if (claim === 'sub' || claim === 'subject') return principal.subject
  if (claim === 'consumerId') return principal.consumerId
  const value = principal.claims?.[claim]
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  return undefined
}
