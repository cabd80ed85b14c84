/**
 * One-time authorization codes bound to client, redirect URI and a PKCE S256 challenge
 * (RFC 7636). A code presented twice is treated as stolen: the grant (refresh family and its
 * access tokens) issued from the first redemption is revoked (RFC 6749 §4.1.2).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { OAuthError } from './http-util.js'
import { randomToken, tokenKey } from './secrets.js'
import { authCodeKey, authCodeUsedKey } from './state-keys.js'
import type { TokenStateStore } from './stores.js'

/** What a code stands for. */
export interface AuthorizationCodeGrant {
  clientId: string
  redirectUri: string
  codeChallenge: string
  sub: string
  scope: string[]
  tenant?: string | undefined
  roles?: string[] | undefined
  /** Refresh family pre-allocated so a replayed code can revoke what the first use produced. */
  familyId: string
}

/** Authorization-code lifecycle. */
export interface AuthorizationCodes {
  issue(grant: Omit<AuthorizationCodeGrant, 'familyId'>): Promise<string>
  /** Redeems a code; throws `invalid_grant` on any mismatch, calling `onReplay` for a second use. */
  redeem(code: string, clientId: string, redirectUri: string | undefined, verifier: string | undefined, onReplay: (familyId: string) => Promise<void>): Promise<AuthorizationCodeGrant>
}

/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/
/** An S256 challenge is a base64url SHA-256: exactly 43 characters. */
export const CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/** Builds the code service; codes live `ttlMs` (60 s is plenty for a redirect). */
export function createAuthorizationCodes(state: TokenStateStore, ttlMs: number, now: () => number): AuthorizationCodes {
  return {
    async issue(grant) {
      const code = randomToken(32)
      const record = { ...grant, familyId: randomToken(18), expMs: now() + ttlMs }
      await state.set(authCodeKey(tokenKey(code)), JSON.stringify(record), ttlMs)
      return code
    },

    async redeem(code, clientId, redirectUri, verifier, onReplay) {
      const invalid = (why: string): OAuthError => new OAuthError('invalid_grant', why)
      if (code.length === 0 || code.length > 128) throw invalid('The authorization code is invalid.')
      const hash = tokenKey(code)
      const raw = await state.get(authCodeKey(hash))
      if (raw === null) throw invalid('The authorization code is invalid or expired.')
      const record = JSON.parse(raw) as AuthorizationCodeGrant & { expMs: number }
      if (record.expMs <= now()) throw invalid('The authorization code is invalid or expired.')
      // Claim the code before anything else: whatever happens next, it cannot be used again.
      if (!(await state.setIfAbsent(authCodeUsedKey(hash), '1', ttlMs * 10))) {
        await onReplay(record.familyId)
        throw invalid('The authorization code was already used.')
      }
      if (record.clientId !== clientId) throw invalid('The authorization code was issued to another client.')
      if (redirectUri !== record.redirectUri) throw invalid('redirect_uri does not match the authorization request.')
      if (verifier === undefined || !VERIFIER.test(verifier)) throw invalid('A valid code_verifier is required (PKCE).')
      const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'))
      const expected = Buffer.from(record.codeChallenge)
      if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) throw invalid('PKCE verification failed.')
      const { expMs: _exp, ...grant } = record
      return grant
    },
  }
}
