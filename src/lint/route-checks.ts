/**
 * Per-route least-privilege checks: methods that run without authentication, writes that need no
 * more privilege than reads, writes without a body cap, anonymous writes.
 */
import { compileRules, isNoStricter, selectRule, type CompiledRule, type RuleInput } from '../policies/access-control/rules.js'
import { appliesTo, WRITE_METHODS, type LintCheck, type LintFinding, type PlacedPolicy, type RouteView } from './types.js'

const stageOf = (p: PlacedPolicy): string | undefined => p.policy?.stage

/** Rules of an access-control instance, compiled (undefined when the config is not a rule list). */
function rulesOf(p: PlacedPolicy): CompiledRule[] {
  const rules = (p.instance.config as { rules?: unknown }).rules
  return Array.isArray(rules) ? compileRules(rules as RuleInput[]) : []
}

/** The access-control instance deciding `method` on a route (the first that applies), if any. */
function authzFor(view: RouteView, method: string): PlacedPolicy | undefined {
  return view.policies.find((p) => p.instance.name === 'access-control' && appliesTo(p.instance, method))
}

/** True when an access-control rule lets `method` through without a Principal on purpose. */
function deliberatelyPublic(view: RouteView, method: string): boolean {
  const authz = authzFor(view, method)
  return authz !== undefined && selectRule(rulesOf(authz), method)?.allowAnonymous === true
}

/** Methods with no authn-stage policy (deliberately public ones excepted). */
export const routeWithoutAuthn: LintCheck = ({ routes }) => {
  const findings: LintFinding[] = []
  for (const view of routes) {
    const authn = view.policies.filter((p) => stageOf(p) === 'authn')
    const open = view.methods.filter((m) => !authn.some((p) => appliesTo(p.instance, m)) && !deliberatelyPublic(view, m))
    if (open.length === 0) continue
    const message =
      authn.length === 0
        ? `route "${view.route.name}" has no authentication policy: every request reaches the upstream anonymously`
        : `route "${view.route.name}": ${open.join(', ')} run without authentication (the authn policies' "methods" do not cover them${open.includes('HEAD') ? '; "GET" does not cover HEAD' : ''})`
    findings.push({ severity: 'warn', rule: 'route-without-authn', pointer: view.pointer, message })
  }
  return findings
}

/** Write methods allowed by a rule no stricter than the GET rule, or with no authorisation at all. */
export const writeNoStricterThanRead: LintCheck = ({ routes }) => {
  const findings: LintFinding[] = []
  for (const view of routes) {
    const writes = view.methods.filter((m) => WRITE_METHODS.has(m))
    if (writes.length === 0) continue
    const unguarded = writes.filter((m) => !authzFor(view, m) && !hasOAuthWriteScopes(view, m))
    if (unguarded.length > 0) {
      findings.push({
        severity: 'warn',
        rule: 'write-without-authz',
        pointer: view.pointer,
        message: `route "${view.route.name}": ${unguarded.join(', ')} pass with no access-control policy, so writes need no more privilege than reads`,
      })
    }
    for (const p of new Set(writes.map((m) => authzFor(view, m)).filter((p): p is PlacedPolicy => p !== undefined))) {
      const rules = rulesOf(p)
      const read = appliesTo(p.instance, 'GET') ? selectRule(rules, 'GET') : undefined
      if (!read) continue
      const lax = new Map<CompiledRule, string[]>()
      for (const m of writes) {
        if (authzFor(view, m) !== p) continue
        const rule = selectRule(rules, m)
        if (rule && isNoStricter(rule, read)) lax.set(rule, [...(lax.get(rule) ?? []), m])
      }
      for (const [rule, methods] of lax) {
        const same = rule === read ? `the same rule that admits GET (rules/${rule.index})` : `rules/${rule.index}, no stricter than the GET rule (rules/${read.index})`
        findings.push({
          severity: 'warn',
          rule: 'write-no-stricter-than-read',
          pointer: `${p.pointer}/config/rules/${rule.index}`,
          message: `route "${view.route.name}": ${methods.join(', ')} allowed by ${same}; give writes their own, stricter rule`,
        })
      }
    }
    findings.push(...oauthWriteScopes(view, writes))
  }
  return findings
}

interface OAuthScopes {
  read?: string[]
  write?: string[]
  byMethod?: Record<string, string[]>
}
const scopesOf = (p: PlacedPolicy): OAuthScopes | undefined => (p.instance.config as { scopes?: OAuthScopes }).scopes
const writeScopes = (s: OAuthScopes, method: string): string[] => s.byMethod?.[method] ?? s.write ?? []

function hasOAuthWriteScopes(view: RouteView, method: string): boolean {
  return view.policies.some((p) => p.instance.name === 'oauth' && appliesTo(p.instance, method) && writeScopes(scopesOf(p) ?? {}, method).length > 0)
}

/** oauth `scopes`: a write method whose required scopes are a subset of the read scopes. */
function oauthWriteScopes(view: RouteView, writes: readonly string[]): LintFinding[] {
  const findings: LintFinding[] = []
  for (const p of view.policies) {
    const scopes = p.instance.name === 'oauth' ? scopesOf(p) : undefined
    const read = scopes?.byMethod?.GET ?? scopes?.read ?? []
    if (!scopes || read.length === 0) continue
    const lax = writes.filter((m) => appliesTo(p.instance, m) && writeScopes(scopes, m).every((s) => read.includes(s)))
    if (lax.length === 0) continue
    findings.push({
      severity: 'warn',
      rule: 'write-no-stricter-than-read',
      pointer: `${p.pointer}/config/scopes`,
      message: `route "${view.route.name}": oauth scopes for ${lax.join(', ')} are no more than the read scopes [${read.join(', ')}]`,
    })
  }
  return findings
}

/** Routes accepting writes with no request-size body cap below the global limit. */
export const writeWithoutRequestSize: LintCheck = ({ routes, config }) => {
  const findings: LintFinding[] = []
  for (const view of routes) {
    const writes = view.methods.filter((m) => WRITE_METHODS.has(m))
    const capped = (m: string): boolean =>
      view.policies.some((p) => p.instance.name === 'request-size' && p.instance.mode === 'enforce' && appliesTo(p.instance, m) && (p.instance.config as { maxBodyBytes?: unknown }).maxBodyBytes !== undefined)
    const uncapped = writes.filter((m) => !capped(m))
    if (uncapped.length === 0) continue
    findings.push({
      severity: 'warn',
      rule: 'write-without-request-size',
      pointer: view.pointer,
      message: `route "${view.route.name}": ${uncapped.join(', ')} have no request-size maxBodyBytes; bodies up to the global ${config.limits.maxBodyBytes} bytes are accepted`,
    })
  }
  return findings
}

/** access-control rules that let anonymous requests write. */
export const anonymousWrite: LintCheck = ({ routes }) => {
  const findings: LintFinding[] = []
  for (const view of routes) {
    for (const p of view.policies) {
      if (p.instance.name !== 'access-control') continue
      const rules = rulesOf(p)
      const open = view.methods.filter((m) => WRITE_METHODS.has(m) && appliesTo(p.instance, m) && selectRule(rules, m)?.allowAnonymous === true)
      const rule = open.length > 0 ? selectRule(rules, open[0]!) : undefined
      if (!rule) continue
      findings.push({
        severity: 'warn',
        rule: 'anonymous-write',
        pointer: `${p.pointer}/config/rules/${rule.index}`,
        message: `route "${view.route.name}": ${open.join(', ')} allowed without authentication (allowAnonymous)`,
      })
    }
  }
  return findings
}
