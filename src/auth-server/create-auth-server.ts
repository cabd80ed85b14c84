/**
 * The OAuth 2.0 authorization server, as one plain node:http handler the gateway mounts on its
 * listener before routing. Built on `jose` rather than a certified provider (oidc-provider is not
 * installed); see docs/oauth.md for the trade-off and what a certified provider would add.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JSONWebKeySet } from 'jose'
import { createAccessTokens, type AccessTokens } from './access-tokens.js'
import { createAuthorizationCodes } from './authorization-codes.js'
import { handleAuthorize } from './authorize-endpoint.js'
import { PATHS, type AuthServerContext } from './context.js'
import { handleIntrospect } from './introspect-endpoint.js'
import { sendJwks } from './jwks.js'
import { buildMetadata } from './metadata.js'
import { createRefreshTokens } from './refresh-tokens.js'
import { handleRevoke } from './revoke-endpoint.js'
import { createSigningKeys } from './signing-keys.js'
import type { ClientStore, SigningKeyStore, TokenStateStore, UserStore } from './stores.js'
import { handleToken } from './token-endpoint.js'

/** Options of {@link createAuthServer}. */
export interface AuthServerOptions {
  /** Issuer identifier = the gateway's public base URL (`https://api.example.com`), no trailing slash. */
  issuer: string
  /** `aud` of issued access tokens; default the issuer (the gateway's base URL). */
  audience?: string
  clients: ClientStore
  /** Shared hot state (refresh families, revocations, codes); must be shared by all instances. */
  state: TokenStateStore
  signingKeys: SigningKeyStore
  /** Local users for the authorization-code login page; without it that grant is disabled. */
  users?: UserStore
  /** Default 5 minutes: short, because a JWT cannot be recalled from caches. */
  accessTokenTtlMs?: number
  /** Default 14 days (sliding: each rotation issues a fresh token with a fresh lifetime). */
  refreshTokenTtlMs?: number
  /** Default 60 s. */
  authCodeTtlMs?: number
  /** Lifetime of a pending login page; default 10 minutes. */
  authRequestTtlMs?: number
  /** Tolerance used when checking our own tokens; default 30 s. */
  clockSkewMs?: number
  /** Cap on form bodies; default 16 KiB. */
  maxBodyBytes?: number
  bodyTimeoutMs?: number
  /** When set, rotates the signing key on this interval (timer is unref'd). */
  keyRotationIntervalMs?: number
  scopesSupported?: readonly string[]
  now?: () => number
}

/** A running authorization server. */
export interface AuthServer {
  /** Answers the request when its path belongs to the server; false (untouched) otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>
  readonly issuer: string
  readonly audience: string
  /** Public keys (current + previous), as served at `/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet
  rotateSigningKey(): Promise<void>
  /** Re-reads the key store, e.g. after another instance rotated. */
  reloadSigningKeys(): Promise<void>
  /** Token services, for the admin API and tests (issue, verify, revoke). */
  readonly accessTokens: AccessTokens
  close(): Promise<void>
}

/** Creates the authorization server (loads or creates its signing keys). */
export async function createAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const issuer = normaliseIssuer(options.issuer)
  const audience = options.audience ?? issuer
  const now = options.now ?? Date.now
  const accessTokenTtlMs = options.accessTokenTtlMs ?? 5 * 60_000
  const clockSkewMs = options.clockSkewMs ?? 30_000
  const keys = await createSigningKeys({ store: options.signingKeys, retainMs: accessTokenTtlMs + clockSkewMs, now })
  const accessTokens = createAccessTokens({ issuer, audience, ttlMs: accessTokenTtlMs, clockSkewMs, keys, state: options.state, now })
  const ctx: AuthServerContext = {
    issuer,
    audience,
    clients: options.clients,
    users: options.users,
    state: options.state,
    keys,
    accessTokens,
    refreshTokens: createRefreshTokens({ state: options.state, accessTokens, ttlMs: options.refreshTokenTtlMs ?? 14 * 86_400_000, now }),
    codes: createAuthorizationCodes(options.state, options.authCodeTtlMs ?? 60_000, now),
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    authRequestTtlMs: options.authRequestTtlMs ?? 10 * 60_000,
    now,
  }
  const metadataJson = JSON.stringify(buildMetadata(issuer, { authorizationCode: options.users !== undefined, scopes: options.scopesSupported }))
  const timer = options.keyRotationIntervalMs ? setInterval(() => void keys.rotate().catch(() => undefined), options.keyRotationIntervalMs) : undefined
  timer?.unref()

  return {
    issuer,
    audience,
    accessTokens,
    jwks: () => keys.publicJwks(),
    rotateSigningKey: () => keys.rotate(),
    reloadSigningKeys: () => keys.reload(),
    async close() {
      if (timer) clearInterval(timer)
    },
    async handle(req, res) {
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const path = q < 0 ? url : url.slice(0, q)
      const method = req.method ?? 'GET'
      switch (path) {
        case PATHS.token:
          await handleToken(req, res, ctx)
          return true
        case PATHS.revoke:
          await handleRevoke(req, res, ctx)
          return true
        case PATHS.introspect:
          await handleIntrospect(req, res, ctx)
          return true
        case PATHS.authorize:
          if (!options.users) return false
          await handleAuthorize(req, res, ctx, q < 0 ? '' : url.slice(q + 1))
          return true
        case PATHS.metadata:
          if (!readOnly(method, res)) return true
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(metadataJson), 'cache-control': 'public, max-age=3600' })
          res.end(method === 'HEAD' ? undefined : metadataJson)
          return true
        case PATHS.jwks:
          if (!readOnly(method, res)) return true
          sendJwks(res, keys, method === 'HEAD')
          return true
        default:
          return false
      }
    },
  }
}

function readOnly(method: string, res: ServerResponse): boolean {
  if (method === 'GET' || method === 'HEAD') return true
  res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 })
  res.end()
  return false
}

function normaliseIssuer(value: string): string {
  const url = new URL(value)
  if (url.search || url.hash) throw new Error('issuer must not have a query or fragment (RFC 8414 §2)')
  return url.href.replace(/\/+$/, '')
}
