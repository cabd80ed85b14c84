/**
 * The services every endpoint of the authorization server shares, assembled once by
 * createAuthServer and passed explicitly (no module state).
 */
import type { AccessTokens } from './access-tokens.js'
import type { AuthorizationCodes } from './authorization-codes.js'
import type { RefreshTokens } from './refresh-tokens.js'
import type { SigningKeys } from './signing-keys.js'
import type { ClientStore, TokenStateStore, UserStore } from './stores.js'

/** Endpoint paths, relative to the issuer origin. */
export const PATHS = {
  token: '/oauth/token',
  revoke: '/oauth/revoke',
  introspect: '/oauth/introspect',
  authorize: '/oauth/authorize',
  metadata: '/.well-known/oauth-authorization-server',
  jwks: '/.well-known/jwks.json',
} as const

/** Shared state of one authorization server instance. */
export interface AuthServerContext {
  issuer: string
  audience: string
  clients: ClientStore
  users: UserStore | undefined
  state: TokenStateStore
  keys: SigningKeys
  accessTokens: AccessTokens
  refreshTokens: RefreshTokens
  codes: AuthorizationCodes
  maxBodyBytes: number
  bodyTimeoutMs: number
  authRequestTtlMs: number
  now: () => number
}
