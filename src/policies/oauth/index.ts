/**
 * `oauth` (authn): accepts `Authorization: Bearer <JWT>` access tokens from the gateway's own
 * authorization server and from configured OpenID Connect issuers.
 *
 * Threat: forged, replayed, stolen-then-revoked or mis-targeted tokens — `alg` confusion, keys
 * smuggled in headers (`jwk`/`jku`/`x5u`), ID tokens used as access tokens, tokens for another
 * API (`aud`) or from an untrusted issuer. Every check is explicit and pinned per issuer.
 * Failure mode: fail closed. An unreachable external issuer yields 503 (not 401, so clients keep
 * their tokens); a state store outage throws (the pipeline's fail-open/closed setting decides).
 */
import type { Policy, PolicyDeps } from '../../core/types.js'
import type { TokenStateStore } from '../../auth-server/stores.js'
import { createOAuthPolicyHandler, type OAuthPolicyStores } from './oauth.js'
import { OAuthPolicySchema } from './schema.js'

export { createOAuthPolicyHandler, API_KEY_PREFIX, type LocalIssuer, type OAuthPolicyStores } from './oauth.js'
export { OAuthPolicySchema, type OAuthPolicyConfig, type OAuthIssuerConfig } from './schema.js'

/**
 * Builds the `oauth` Policy with the stores PolicyDeps does not carry (yet): the gateway's
 * authorization server (for `local: true`) and a TokenStateStore view of the state store.
 */
export function createOAuthPolicy(resolveStores: (deps: PolicyDeps) => OAuthPolicyStores): Policy<typeof OAuthPolicySchema> {
  return {
    name: 'oauth',
    stage: 'authn',
    schema: OAuthPolicySchema,
    create: (config, deps) => createOAuthPolicyHandler(config, resolveStores(deps)),
  }
}

/**
 * Registry entry for when PolicyDeps' state store already implements TokenStateStore
 * (get / set / setIfAbsent) and no local issuer is wired: only external issuers then work, and
 * `local: true` fails at config load with a clear message.
 */
export const oauthPolicy: Policy<typeof OAuthPolicySchema> = createOAuthPolicy((deps) => {
  const state = deps.state as unknown as Partial<TokenStateStore>
  if (typeof state.get !== 'function' || typeof state.set !== 'function' || typeof state.setIfAbsent !== 'function') {
    throw new Error('oauth policy: the state store must implement get/set/setIfAbsent (TokenStateStore)')
  }
  return { state: state as TokenStateStore }
})
