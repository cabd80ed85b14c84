/**
 * Least-privilege lint over a validated configuration: finds what is valid but unsafe — routes
 * without authentication, writes no stricter than reads, wildcard scopes, an exposed admin API,
 * trust in every proxy, security policies that only monitor, missing body caps, allow-all IP lists.
 * Pure: no I/O, no network; safe to run in CI on every config change.
 */
import type { Config } from '../config/config.js'
import type { Policy } from '../core/types.js'
import { anonymousWrite, routeWithoutAuthn, writeNoStricterThanRead, writeWithoutRequestSize } from './route-checks.js'
import { accessControlConfig, adminNotLoopback, ipFilterAllowAny, partialAuthz, securityPolicyNotEnforced, trustedProxiesAny, wildcardScopes } from './policy-checks.js'
import { ALL_METHODS, type LintCheck, type LintFinding, type LintInput, type PlacedPolicy, type RouteView } from './types.js'

export type { LintFinding } from './types.js'

/** Every check, in report order (listener-wide first, then per route). */
export const LINT_CHECKS: readonly LintCheck[] = [
  adminNotLoopback,
  trustedProxiesAny,
  accessControlConfig,
  securityPolicyNotEnforced,
  routeWithoutAuthn,
  partialAuthz,
  writeNoStricterThanRead,
  anonymousWrite,
  wildcardScopes,
  writeWithoutRequestSize,
  ipFilterAllowAny,
]

/**
 * Lints a configuration. Returns every finding, errors first; an empty array means nothing to
 * report. `registry` tells which stage each policy belongs to (as at load).
 */
export function lintConfig(config: Config, registry: ReadonlyMap<string, Policy>, checks: readonly LintCheck[] = LINT_CHECKS): LintFinding[] {
  const input: LintInput = { config, registry, routes: routeViews(config, registry) }
  const findings = checks.flatMap((check) => check(input))
  // Stable sort: errors first, otherwise the checks' own order.
  return findings.map((f, i) => [f, i] as const).sort(([a, i], [b, j]) => (a.severity === b.severity ? i - j : a.severity === 'error' ? -1 : 1)).map(([f]) => f)
}

/** Formats findings one per line: `warn   /routes/0  route-without-authn  message`. */
export function formatFindings(findings: readonly LintFinding[]): string {
  return findings.map((f) => `${f.severity.padEnd(6)} ${f.pointer || '/'}  ${f.rule}  ${f.message}`).join('\n')
}

function routeViews(config: Config, registry: ReadonlyMap<string, Policy>): RouteView[] {
  const global: PlacedPolicy[] = config.policies.map((instance, i) => ({ instance, policy: registry.get(instance.name), pointer: `/policies/${i}` }))
  return config.routes.map((route, r) => {
    const own: PlacedPolicy[] = route.policies.map((instance, i) => ({ instance, policy: registry.get(instance.name), pointer: `/routes/${r}/policies/${i}` }))
    const declared: readonly string[] = route.match.methods ?? ALL_METHODS
    // The router serves HEAD wherever GET is routed.
    const methods = declared.includes('GET') && !declared.includes('HEAD') ? [...declared, 'HEAD'] : [...declared]
    return { route, pointer: `/routes/${r}`, methods, policies: [...global, ...own].filter((p) => p.instance.enabled) }
  })
}
