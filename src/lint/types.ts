/**
 * The shapes every lint check shares: a finding, and a route seen with its effective policies
 * (global ones first, as the pipeline runs them) and the methods it accepts.
 */
import type { Config, RouteConfig } from '../config/config.js'
import type { PolicyInstanceConfig } from '../config/schema.js'
import type { Policy } from '../core/types.js'

/** One lint finding. `error` means the config is unsafe or cannot work as written; `warn` is a smell. */
export interface LintFinding {
  severity: 'warn' | 'error'
  /** Stable rule id, e.g. `route-without-authn` (for suppression lists and tooling). */
  rule: string
  /** JSON pointer into the configuration file. */
  pointer: string
  message: string
}

/** A policy instance on a route, with where it was written. */
export interface PlacedPolicy {
  instance: PolicyInstanceConfig
  policy: Policy | undefined
  pointer: string
}

/** A route with everything the checks need. */
export interface RouteView {
  route: RouteConfig
  pointer: string
  /** Methods the route accepts (HEAD included wherever GET is). */
  methods: readonly string[]
  /** Enabled policies that apply to the route: global ones, then the route's own. */
  policies: readonly PlacedPolicy[]
}

/** Everything a check receives. */
export interface LintInput {
  config: Config
  registry: ReadonlyMap<string, Policy>
  routes: readonly RouteView[]
}

/** A lint check: pure, returns its findings. */
export type LintCheck = (input: LintInput) => LintFinding[]

/** HTTP methods the router knows. */
export const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
/** Methods that change state. */
export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * True when the pipeline runs the instance for `method` (no `methods` list means every method).
 * Exact membership, as the pipeline does it: `methods: [GET]` does not cover HEAD.
 */
export function appliesTo(instance: PolicyInstanceConfig, method: string): boolean {
  return !instance.methods || (instance.methods as readonly string[]).includes(method)
}
