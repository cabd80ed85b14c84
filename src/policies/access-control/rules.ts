/**
 * Access rules: which rule covers a method, and whether a Principal meets it. Pure functions over
 * compiled data, shared by the policy (per request) and the lint (at validate time).
 */
import type { Principal } from '../../core/types.js'
import type { RoleTable } from './roles.js'

/** One rule as configured (the subset of the schema this module reads). */
export interface RuleInput {
  methods?: readonly string[] | undefined
  roles?: readonly string[] | undefined
  scopes?: readonly string[] | undefined
  permissions?: readonly string[] | undefined
  allowAnonymous?: boolean | undefined
}

/** A rule ready for per-request use. */
export interface CompiledRule {
  /** Index in the config's `rules` array (for reasons and lint pointers). */
  index: number
  methods: ReadonlySet<string> | undefined
  roles: readonly string[]
  scopes: readonly string[]
  permissions: readonly string[]
  allowAnonymous: boolean
}

/** Why a Principal fails a rule (undefined: it passes). */
export type RuleFailure =
  | { kind: 'anonymous' }
  | { kind: 'role'; required: readonly string[] }
  | { kind: 'permission'; missing: readonly string[] }
  | { kind: 'scope'; missing: readonly string[]; required: readonly string[] }

/** Problems a rule list can have that JSON Schema cannot see; `path` relative to the config block. */
export function checkRules(rules: readonly RuleInput[], roles: RoleTable): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = []
  rules.forEach((rule, i) => {
    const requires = (rule.roles?.length ?? 0) + (rule.scopes?.length ?? 0) + (rule.permissions?.length ?? 0)
    if (rule.allowAnonymous && requires > 0) {
      issues.push({ path: `/rules/${i}/allowAnonymous`, message: 'allowAnonymous cannot be combined with roles, scopes or permissions (an anonymous request has none)' })
    }
    if (roles.defined) {
      rule.roles?.forEach((name, j) => {
        if (!roles.has(name)) issues.push({ path: `/rules/${i}/roles/${j}`, message: `unknown role ${JSON.stringify(name)} (not in the roles table)` })
      })
    }
  })
  return issues
}

/** Compiles the rule list (call `checkRules` first; this does not re-validate). */
export function compileRules(rules: readonly RuleInput[]): CompiledRule[] {
  return rules.map((rule, index) => ({
    index,
    methods: rule.methods ? new Set(rule.methods) : undefined,
    roles: Object.freeze([...(rule.roles ?? [])]),
    scopes: Object.freeze([...(rule.scopes ?? [])]),
    permissions: Object.freeze([...(rule.permissions ?? [])]),
    allowAnonymous: rule.allowAnonymous === true,
  }))
}

/**
 * The first rule covering `method`, or undefined (deny by default). A rule naming GET also
 * covers HEAD, since the router serves HEAD through GET routes and HEAD reveals the same data.
 */
export function selectRule(rules: readonly CompiledRule[], method: string): CompiledRule | undefined {
  for (const rule of rules) {
    if (!rule.methods || rule.methods.has(method) || (method === 'HEAD' && rule.methods.has('GET'))) return rule
  }
  return undefined
}

/**
 * Checks a Principal (or its absence) against a rule. Roles are checked before permissions and
 * scopes; `effectiveRoles` is the Principal's role set with inheritance already expanded.
 */
export function evaluateRule(
  rule: CompiledRule,
  principal: Principal | undefined,
  effectiveRoles: ReadonlySet<string>,
  roles: RoleTable,
): RuleFailure | undefined {
  if (rule.allowAnonymous) return undefined
  if (!principal) return { kind: 'anonymous' }
  if (rule.roles.length > 0 && !rule.roles.some((r) => effectiveRoles.has(r))) return { kind: 'role', required: rule.roles }
  if (rule.permissions.length > 0) {
    const missing = rule.permissions.filter((p) => !roles.grants(effectiveRoles, p))
    if (missing.length > 0) return { kind: 'permission', missing }
  }
  if (rule.scopes.length > 0) {
    const granted = new Set(principal.scopes)
    const missing = rule.scopes.filter((s) => !granted.has(s))
    if (missing.length > 0) return { kind: 'scope', missing, required: rule.scopes }
  }
  return undefined
}

/**
 * True when rule `a` admits at least everyone rule `b` admits (a is no stricter than b), judged
 * from the requirements alone: anonymous-allowing, fewer-or-equal scopes and permissions, and a
 * role list that is absent or a superset (any-of semantics). Used by the lint.
 */
export function isNoStricter(a: CompiledRule, b: CompiledRule): boolean {
  if (a === b || a.allowAnonymous) return true
  if (b.allowAnonymous) return false
  const subset = (x: readonly string[], y: readonly string[]): boolean => x.every((v) => y.includes(v))
  const rolesNoStricter = a.roles.length === 0 || (b.roles.length > 0 && subset(b.roles, a.roles))
  return rolesNoStricter && subset(a.scopes, b.scopes) && subset(a.permissions, b.permissions)
}
