/**
 * The one list of built-in policies: name → module. Adding a policy means adding its folder and
 * one line here; the pipeline never switches over policy names.
 */
import type { Policy } from '../core/types.js'
import { ipFilterPolicy } from './ip-filter/index.js'
import { requestSizePolicy } from './request-size/index.js'
import { apiKeyPolicy } from './api-key/index.js'
import { hmacPolicy } from './hmac/index.js'
import { injectionGuardPolicy } from './injection-guard/index.js'
import { rateLimitPolicy } from './rate-limit/index.js'
import { createOAuthPolicy } from './oauth/index.js'
import { accessControlPolicy } from './access-control/index.js'
import { mtlsPolicy } from './mtls/index.js'

const oauthPolicy = createOAuthPolicy((deps) => ({ state: deps.state, local: deps.localIssuer }))

const BUILT_IN: Policy<any>[] = [ipFilterPolicy, requestSizePolicy, apiKeyPolicy, oauthPolicy, hmacPolicy, mtlsPolicy, accessControlPolicy, rateLimitPolicy, injectionGuardPolicy]

/** Creates the registry, optionally with embedder-supplied policies (names must be unique). */
export function createRegistry(extra: readonly Policy<any>[] = []): ReadonlyMap<string, Policy> {
  const registry = new Map<string, Policy>()
  for (const policy of [...BUILT_IN, ...extra]) {
    if (registry.has(policy.name)) throw new Error(`duplicate policy name ${policy.name}`)
    registry.set(policy.name, policy)
  }
  return registry
}
