/**
 * Opaque refresh tokens with rotation and reuse detection (RFC 9700 §4.14.2). Every refresh
 * returns a new token in the same *family* (one family per authorization grant). Presenting an
 * already-rotated token means two parties hold it: the whole family is revoked, including the
 * access tokens it produced. "Used" is claimed with an atomic setIfAbsent, so of two concurrent
 * refreshes with the same token at most one succeeds and the other counts as reuse.
 */
import { OAuthError } from './http-util.js'
import { randomToken, tokenKey } from './secrets.js'
import { familyAccessTokensKey, familyRevokedKey, refreshTokenKey, refreshTokenUsedKey } from './state-keys.js'
import type { TokenStateStore } from './stores.js'
import type { AccessTokens } from './access-tokens.js'

/** What a refresh token stands for. */
export interface RefreshGrant {
  familyId: string
  clientId: string
  sub: string
  scope: string[]
  tenant?: string | undefined
  roles?: string[] | undefined
}

/** A stored refresh token (the token itself is only kept as a hash, in the key). */
export interface RefreshRecord extends RefreshGrant {
  iatMs: number
  expMs: number
}

/** Refresh-token lifecycle. */
export interface RefreshTokens {
  /** Creates a refresh token, in a new family unless `familyId` is given. */
  issue(grant: Omit<RefreshGrant, 'familyId'> & { familyId?: string }): Promise<{ token: string; familyId: string }>
  /** Spends `token` for `clientId`; throws `invalid_grant` (and revokes the family on reuse). */
  redeem(token: string, clientId: string): Promise<RefreshGrant>
  /** The record and whether it is still usable; null for unknown tokens. */
  lookup(token: string): Promise<{ record: RefreshRecord; active: boolean } | null>
  /** Revokes a family and every access token recorded in it. */
  revokeFamily(familyId: string): Promise<void>
  isFamilyRevoked(familyId: string): Promise<boolean>
  /** Remembers an access token issued in a family, so a family revocation reaches it. */
  recordAccessToken(familyId: string, jti: string, exp: number): Promise<void>
}

/** Options of {@link createRefreshTokens}. */
export interface RefreshTokensOptions {
  state: TokenStateStore
  accessTokens: AccessTokens
  ttlMs: number
  now: () => number
}

const FAMILY_ID = /^[A-Za-z0-9_-]{16,64}$/

/** Builds the refresh-token service. */
export function createRefreshTokens(options: RefreshTokensOptions): RefreshTokens {
  const { state, accessTokens, ttlMs, now } = options

  async function readRecord(token: string): Promise<{ hash: string; record: RefreshRecord } | null> {
    if (!token.startsWith('rt_') || token.length > 128) return null
    const hash = tokenKey(token)
    const raw = await state.get(refreshTokenKey(hash))
    return raw === null ? null : { hash, record: JSON.parse(raw) as RefreshRecord }
  }

  const isFamilyRevoked = async (familyId: string): Promise<boolean> => (await state.get(familyRevokedKey(familyId))) !== null

  async function revokeFamily(familyId: string): Promise<void> {
    // The marker must outlive every refresh token of the family: each lives at most ttlMs.
    await state.set(familyRevokedKey(familyId), '1', ttlMs)
    const raw = await state.get(familyAccessTokensKey(familyId))
    const issued = raw === null ? [] : (JSON.parse(raw) as Array<{ jti: string; exp: number }>)
    await Promise.all(issued.map((at) => accessTokens.revoke(at.jti, at.exp)))
  }

  return {
    async issue(grant) {
      const familyId = grant.familyId ?? randomToken(18)
      if (!FAMILY_ID.test(familyId)) throw new Error('invalid refresh family id')
      const token = `rt_${randomToken(32)}`
      const at = now()
      const record: RefreshRecord = { ...grant, familyId, scope: [...grant.scope], iatMs: at, expMs: at + ttlMs }
      await state.set(refreshTokenKey(tokenKey(token)), JSON.stringify(record), ttlMs)
      return { token, familyId }
    },

    async redeem(token, clientId) {
      const found = await readRecord(token)
      const invalid = new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.')
      if (!found) throw invalid
      const { hash, record } = found
      // Another client's token: refuse without revoking, so a client cannot kill others' grants.
      if (record.clientId !== clientId || record.expMs <= now()) throw invalid
      if (await isFamilyRevoked(record.familyId)) throw invalid
      const first = await state.setIfAbsent(refreshTokenUsedKey(hash), String(now()), Math.max(1, record.expMs - now()))
      if (!first) {
        await revokeFamily(record.familyId)
        throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant has been revoked.')
      }
      const { iatMs: _iat, expMs: _exp, ...grant } = record
      return grant
    },

    async lookup(token) {
      const found = await readRecord(token)
      if (!found) return null
      const { hash, record } = found
      const used = (await state.get(refreshTokenUsedKey(hash))) !== null
      const active = !used && record.expMs > now() && !(await isFamilyRevoked(record.familyId))
      return { record, active }
    },

    revokeFamily,
    isFamilyRevoked,

    async recordAccessToken(familyId, jti, exp) {
      const key = familyAccessTokensKey(familyId)
      const raw = await state.get(key)
      const nowS = Math.floor(now() / 1000)
      const live = (raw === null ? [] : (JSON.parse(raw) as Array<{ jti: string; exp: number }>)).filter((at) => at.exp > nowS)
      live.push({ jti, exp })
      const lastExpMs = Math.max(...live.map((at) => at.exp)) * 1000
      await state.set(key, JSON.stringify(live), Math.max(1000, lastExpMs - now()))
    },
  }
}
