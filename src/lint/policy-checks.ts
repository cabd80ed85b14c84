/**
 * Checks on listeners and on individual policy instances: admin exposure, trusted proxies, wildcard
 * scopes, security policies in monitor mode, allow-everything IP lists, broken access-control
 * configs that schema validation cannot see.
 */
import ipaddr from 'ipaddr.js'
import { checkAccessControlConfig, type AccessControlInput } from '../policies/access-control/access-control.js'
import { isIdentityHeader } from '../proxy/headers.js'
import { appliesTo, type LintCheck, type LintFinding, type PlacedPolicy } from './types.js'

/** The prefix length of a CIDR entry (IPv4-mapped IPv6 counted as IPv4), or undefined for a bare address. */
export function prefixLength(entry: string): number | undefined {
  if (!entry.includes('/')) return undefined
  try {
    const [addr, bits] = ipaddr.parseCIDR(entry)
    return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? Math.max(0, bits - 96) : bits
  } catch {
    return undefined
  }
}

/** True for a host the admin listener may bind without being reachable from other machines. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (!ipaddr.isValid(bare)) return false
  const parsed = ipaddr.process(bare)
  return parsed.range() === 'loopback'
}

/** The admin API listening beyond loopback. */
export const adminNotLoopback: LintCheck = ({ config }) =>
  isLoopbackHost(config.admin.host)
    ? []
    : [{ severity: 'warn', rule: 'admin-not-loopback', pointer: '/admin/host', message: `the admin listener binds ${config.admin.host}, beyond loopback: keep the admin API on 127.0.0.1 or behind a private network` }]

/** `trustedProxies` believing every address lets any client choose its own IP. */
export const trustedProxiesAny: LintCheck = ({ config }) =>
  config.trustedProxies.flatMap((entry, i): LintFinding[] =>
    prefixLength(entry) === 0
      ? [{ severity: 'error', rule: 'trusted-proxies-any', pointer: `/trustedProxies/${i}`, message: `trustedProxies contains ${entry}: every client can forge X-Forwarded-For, defeating ip-filter, rate limits and logs` }]
      : [],
  )

/** Every policy instance once, whether global or on a route. */
function allInstances(input: Parameters<LintCheck>[0]): PlacedPolicy[] {
  const global = input.config.policies.map((instance, i) => ({ instance, policy: input.registry.get(instance.name), pointer: `/policies/${i}` }))
  const local = input.config.routes.flatMap((route, r) => route.policies.map((instance, i) => ({ instance, policy: input.registry.get(instance.name), pointer: `/routes/${r}/policies/${i}` })))
  return [...global, ...local]
}

/** `*`, `foo:*` or any scope ending in `*`, anywhere under a `scopes` key of a policy config. */
export const wildcardScopes: LintCheck = (input) => {
  const findings: LintFinding[] = []
  const walk = (value: unknown, pointer: string, underScopes: boolean): void => {
    if (typeof value === 'string') {
      if (underScopes && value.endsWith('*')) {
        findings.push({ severity: 'warn', rule: 'wildcard-scope', pointer, message: `wildcard scope ${JSON.stringify(value)}: name the exact scopes a route needs (access-control matches scopes exactly)` })
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${pointer}/${i}`, underScopes))
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) walk(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, underScopes || /scopes$/i.test(key))
    }
  }
  for (const p of allInstances(input)) walk(p.instance.config, `${p.pointer}/config`, false)
  return findings
}

/** Authn and authz policies in monitor mode (or disabled) enforce nothing. */
export const securityPolicyNotEnforced: LintCheck = (input) =>
  allInstances(input).flatMap((p): LintFinding[] => {
    const stage = p.policy?.stage
    if (stage !== 'authn' && stage !== 'authz') return []
    const what = stage === 'authn' ? 'authentication' : 'authorisation'
    if (!p.instance.enabled) return [{ severity: 'warn', rule: `${stage}-disabled`, pointer: `${p.pointer}/enabled`, message: `${p.instance.name} is disabled: no ${what} from this instance` }]
    if (p.instance.mode === 'monitor') {
      return [{ severity: 'warn', rule: `${stage}-monitor`, pointer: `${p.pointer}/mode`, message: `${p.instance.name} is in monitor mode: failed ${what} is only logged, the request still passes` }]
    }
    return []
  })

/** ip-filter allow lists that allow every address (IPv4 or IPv6). */
export const ipFilterAllowAny: LintCheck = (input) =>
  allInstances(input).flatMap((p): LintFinding[] => {
    if (p.instance.name !== 'ip-filter') return []
    const allow = (p.instance.config as { allow?: unknown }).allow
    if (!Array.isArray(allow)) return []
    return allow.flatMap((entry, i): LintFinding[] =>
      typeof entry === 'string' && prefixLength(entry) === 0
        ? [{ severity: 'warn', rule: 'ip-filter-allow-any', pointer: `${p.pointer}/config/allow/${i}`, message: `ip-filter allow list contains ${entry}: it allows every address of that family` }]
        : [],
    )
  })

/** access-control configs that would fail at start-up, and tenant headers the gateway strips. */
export const accessControlConfig: LintCheck = (input) =>
  allInstances(input).flatMap((p): LintFinding[] => {
    if (p.instance.name !== 'access-control') return []
    const config = p.instance.config as AccessControlInput
    const findings: LintFinding[] = checkAccessControlConfig(config).map((issue) => ({ severity: 'error', rule: 'access-control-config', pointer: `${p.pointer}/config${issue.path}`, message: issue.message }))
    if (config.tenant?.from === 'header' && isIdentityHeader(config.tenant.name.toLowerCase())) {
      findings.push({
        severity: 'error',
        rule: 'tenant-header-stripped',
        pointer: `${p.pointer}/config/tenant/name`,
        message: `${config.tenant.name} is an identity header the gateway strips from client requests, so the tenant check can never pass; use another header name`,
      })
    }
    return findings
  })

/** Routes where access-control covers some methods but not others. */
export const partialAuthz: LintCheck = ({ routes }) =>
  routes.flatMap((view): LintFinding[] => {
    const authz = view.policies.filter((p) => p.policy?.stage === 'authz')
    if (authz.length === 0) return []
    const skipped = view.methods.filter((m) => !authz.some((p) => appliesTo(p.instance, m)))
    return skipped.length === 0
      ? []
      : [{ severity: 'warn', rule: 'partial-authz', pointer: view.pointer, message: `route "${view.route.name}": ${skipped.join(', ')} skip authorisation (the authz policies' "methods" do not cover them)` }]
  })
