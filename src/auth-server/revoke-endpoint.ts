/**
 * `POST /oauth/revoke` (RFC 7009). Answers 200 for unknown, expired or already revoked tokens.
 * A token issued to another client is NOT revoked but also answered with 200, so the endpoint
 * is not an oracle for which tokens exist (the RFC allows refusing; we chose silence, tested).
 * Revoking a refresh token revokes its whole family and the family's access tokens (§2.1 SHOULD).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthServerContext } from './context.js'
import { authenticateClient } from './client-auth.js'
import { OAuthError, readForm, sendJson, sendOAuthError } from './http-util.js'
import type { ClientRecord } from './stores.js'

/** Handles one revocation request. */
export async function handleRevoke(req: IncomingMessage, res: ServerResponse, ctx: AuthServerContext): Promise<void> {
  try {
    const form = await readForm(req, ctx.maxBodyBytes, ctx.bodyTimeoutMs)
    const client = await authenticateClient(req, form, ctx.clients)
    const token = form.get('token')
    if (token === undefined || token.length === 0) throw new OAuthError('invalid_request', 'token is required.')
    // The hint only orders the lookups (§2.1: on a miss, search all types; unknown hints are ignored).
    const order = form.get('token_type_hint') === 'refresh_token' ? [revokeRefresh, revokeAccess] : [revokeAccess, revokeRefresh]
    for (const attempt of order) {
      if (await attempt(token, client, ctx)) break
    }
    sendJson(res, 200, {})
  } catch (error) {
    if (error instanceof OAuthError) sendOAuthError(res, error)
    else throw error
  }
}

/** True when the token was recognised as an access token (revoked or not ours to revoke). */
async function revokeAccess(token: string, client: ClientRecord, ctx: AuthServerContext): Promise<boolean> {
  const claims = await ctx.accessTokens.verifyOwn(token, { allowExpired: true })
  if (!claims) return false
  if (claims['client_id'] === client.clientId && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
    await ctx.accessTokens.revoke(claims.jti, claims.exp)
  }
  return true
}

async function revokeRefresh(token: string, client: ClientRecord, ctx: AuthServerContext): Promise<boolean> {
  const found = await ctx.refreshTokens.lookup(token)
  if (!found) return false
  if (found.record.clientId === client.clientId) await ctx.refreshTokens.revokeFamily(found.record.familyId)
  return true
}
