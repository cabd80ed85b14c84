/**
 * Names of the keys the authorization server writes to the shared TokenStateStore and the
 * `oauth` policy reads. One place, so the writer and the reader cannot drift apart. Tokens never
 * appear raw in a key: they are hashed first (a store dump must not yield usable tokens).
 */
import { createHash } from 'node:crypto'

const PREFIX = 'oauth:'

/** Key marking an access token (by issuer and `jti`) as revoked. */
export function revokedAccessTokenKey(issuer: string, jti: string): string {
  return `${PREFIX}revoked:${createHash('sha256').update(issuer).update('\n').update(jti).digest('base64url')}`
}

/** Key of a refresh token's record (value: JSON {@link RefreshRecord}), by token hash. */
export function refreshTokenKey(tokenHash: string): string {
  return `${PREFIX}rt:${tokenHash}`
}

/** Key set once when a refresh token is rotated; a second set attempt means reuse. */
export function refreshTokenUsedKey(tokenHash: string): string {
  return `${PREFIX}rt-used:${tokenHash}`
}

/** Key present when a whole refresh-token family (one grant) is revoked. */
export function familyRevokedKey(familyId: string): string {
  return `${PREFIX}rtf-revoked:${familyId}`
}

/** Key listing the access tokens issued in a family (so revoking the family revokes them too). */
export function familyAccessTokensKey(familyId: string): string {
  return `${PREFIX}rtf-ats:${familyId}`
}

/** Key of a pending authorization code (by code hash). */
export function authCodeKey(codeHash: string): string {
  return `${PREFIX}code:${codeHash}`
}

/** Key set when an authorization code is redeemed; a second redemption means replay. */
export function authCodeUsedKey(codeHash: string): string {
  return `${PREFIX}code-used:${codeHash}`
}

/** Key of a pending login/consent request (the authorize page's one-time handle). */
export function authRequestKey(requestId: string): string {
  return `${PREFIX}authreq:${requestId}`
}

/** Key set when a login/consent request has been completed (one use only). */
export function authRequestDoneKey(requestId: string): string {
  return `${PREFIX}authreq-done:${requestId}`
}
