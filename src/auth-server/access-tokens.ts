/**
 * Issues RFC 9068 access tokens (`typ: at+jwt`, ES256) and checks the server's own tokens for
 * introspection and revocation. Revocation of a JWT is a `jti` deny-list entry in the shared
 * state store, kept until the token would have expired anyway.
 */
import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose'
import { randomToken } from './secrets.js'
import type { SigningKeys } from './signing-keys.js'
import { revokedAccessTokenKey } from './state-keys.js'
import type { TokenStateStore } from './stores.js'

/** What an access token asserts. */
export interface AccessTokenGrant {
  sub: string
  clientId: string
  scope: readonly string[]
  tenant?: string | undefined
  roles?: readonly string[] | undefined
}

/** A freshly issued access token. */
export interface IssuedAccessToken {
  token: string
  jti: string
  /** NumericDate (seconds). */
  exp: number
  expiresInS: number
}

/** Access-token issuing and self-verification. */
export interface AccessTokens {
  issue(grant: AccessTokenGrant): Promise<IssuedAccessToken>
  /** Verifies one of our tokens (signature, iss, typ, and exp unless `allowExpired`); null when not ours or invalid. */
  verifyOwn(token: string, options?: { allowExpired?: boolean }): Promise<JWTPayload | null>
  /** Deny-lists a `jti` until `exp` (seconds) plus skew. */
  revoke(jti: string, exp: number): Promise<void>
  isRevoked(jti: string): Promise<boolean>
}

/** Options of {@link createAccessTokens}. */
export interface AccessTokensOptions {
  issuer: string
  audience: string
  ttlMs: number
  clockSkewMs: number
  keys: SigningKeys
  state: TokenStateStore
  now: () => number
}

/** Builds the access-token service. */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const { issuer, audience, keys, state, now } = options
  let cachedJwks: JSONWebKeySet | undefined
  let verifyKey: ReturnType<typeof createLocalJWKSet> | undefined
  const localKeySet = (): ReturnType<typeof createLocalJWKSet> => {
    const jwks = keys.publicJwks()
    // Rebuild only when a rotation replaced the key set object.
    if (jwks !== cachedJwks || !verifyKey) {
      cachedJwks = jwks
      verifyKey = createLocalJWKSet(jwks)
    }
    return verifyKey
  }

  return {
    async issue(grant) {
      const signing = keys.current()
      const iat = Math.floor(now() / 1000)
      const expiresInS = Math.max(1, Math.floor(options.ttlMs / 1000))
      const jti = randomToken(18)
      const claims: JWTPayload = { client_id: grant.clientId, scope: grant.scope.join(' ') }
      if (grant.tenant !== undefined) claims['tenant'] = grant.tenant
      if (grant.roles !== undefined && grant.roles.length > 0) claims['roles'] = [...grant.roles]
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(grant.sub)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + expiresInS)
        .setJti(jti)
        .sign(signing.privateKey)
      return { token, jti, exp: iat + expiresInS, expiresInS }
    },

    async verifyOwn(token, verifyOptions = {}) {
      // Cheap shape check first: refresh tokens and junk never reach the JOSE parser.
      if (token.length > 8192 || token.split('.').length !== 3) return null
      try {
        const { payload } = await jwtVerify(token, localKeySet(), {
          algorithms: ['ES256'],
          issuer,
          typ: 'at+jwt',
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
          clockTolerance: Math.floor(options.clockSkewMs / 1000),
          currentDate: new Date(now()),
        })
        return payload
      } catch (error) {
        // jose checks `exp` last, so an expiry error means every other check already passed.
        if (verifyOptions.allowExpired && error instanceof errors.JWTExpired && error.claim === 'exp') return error.payload
        return null
      }
    },

    async revoke(jti, exp) {
      const ttlMs = exp * 1000 - now() + options.clockSkewMs
      if (ttlMs > 0) await state.set(revokedAccessTokenKey(issuer, jti), '1', ttlMs)
    },

    async isRevoked(jti) {
      return (await state.get(revokedAccessTokenKey(issuer, jti))) !== null
    },
  }
}
