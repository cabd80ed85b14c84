/**
 * Which scopes a request needs, by method, compiled once from config.
 */
import type { Static } from 'typebox'
import type { OAuthScopesSchema } from './schema.js'

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Returns the scopes a method requires (all of them must be granted). */
export type ScopeRequirement = (method: string) => readonly string[]

/** Compiles the `scopes` config into a lookup. */
export function compileScopes(config: Static<typeof OAuthScopesSchema> | undefined): ScopeRequirement {
  const read = Object.freeze([...(config?.read ?? [])])
  const write = Object.freeze([...(config?.write ?? [])])
  const byMethod = new Map<string, readonly string[]>()
  for (const [method, scopes] of Object.entries(config?.byMethod ?? {})) byMethod.set(method.toUpperCase(), Object.freeze([...scopes]))
  return (method) => byMethod.get(method) ?? (READ_METHODS.has(method) ? read : write)
}

/** True when every required scope is granted. The per-request check: allocates nothing. */
export function grantsAll(required: readonly string[], granted: ReadonlySet<string>): boolean {
  for (let i = 0; i < required.length; i++) if (!granted.has(required[i]!)) return false
  return true
}

/** The required scopes the token lacks (empty when it has them all). */
export function missingScopes(required: readonly string[], granted: ReadonlySet<string>): string[] {
  return required.filter((s) => !granted.has(s))
}
