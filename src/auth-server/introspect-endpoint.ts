/**
 * `POST /oauth/introspect` (RFC 7662). The caller authenticates as a client. A client sees its
 * own tokens; a client with `canIntrospect` (a resource server) sees any. Inactive, unknown,
 * expired, revoked and not-yours all answer exactly `{"active":false}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthServerContext } from './context.js'
import { authenticateClient } from './client-auth.js'
import { OAuthError, readForm, sendJson, sendOAuthError } from './http-util.js'
import type { ClientRecord } from './stores.js'

const INACTIVE = { active: false } as const

/** Handles one introspection request. */
export async function handleIntrospect(req: IncomingMessage, res: ServerResponse, ctx: AuthServerContext): Promise<void> {
  try {
    const form = await readForm(req, ctx.maxBodyBytes, ctx.bodyTimeoutMs)
    const client = await authenticateClient(req, form, ctx.clients)
    const token = form.get('token')
    if (token === undefined || token.length === 0) throw new OAuthError('invalid_request', 'token is required.')
    const order = form.get('token_type_hint') === 'refresh_token' ? [introspectRefresh, introspectAccess] : [introspectAccess, introspectRefresh]
    for (const attempt of order) {
      const answer = await attempt(token, client, ctx)
      if (answer) return sendJson(res, 200, answer)
    }
    sendJson(res, 200, INACTIVE)
  } catch (error) {
    if (error instanceof OAuthError) sendOAuthError(res, error)
    else throw error
  }
}

type Answer = Record<string, unknown> | null

async function introspectAccess(token: string, client: ClientRecord, ctx: AuthServerContext): Promise<Answer> {
  const claims = await ctx.accessTokens.verifyOwn(token, { allowExpired: true })
  if (!claims) return null
  const maySee = client.canIntrospect === true || claims['client_id'] === client.clientId
  const expired = typeof claims.exp !== 'number' || claims.exp * 1000 <= ctx.now()
  if (!maySee || expired || (await ctx.accessTokens.isRevoked(String(claims.jti)))) return INACTIVE
  const answer: Record<string, unknown> = {
    active: true,
    token_type: 'Bearer',
    scope: claims['scope'],
    client_id: claims['client_id'],
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    nbf: claims.nbf,
    jti: claims.jti,
  }
  if (claims['tenant'] !== undefined) answer['tenant'] = claims['tenant']
  if (claims['roles'] !== undefined) answer['roles'] = claims['roles']
  return answer
}

async function introspectRefresh(token: string, client: ClientRecord, ctx: AuthServerContext): Promise<Answer> {
  const found = await ctx.refreshTokens.lookup(token)
  if (!found) return null
  const { record, active } = found
  if (!active || (client.canIntrospect !== true && record.clientId !== client.clientId)) return INACTIVE
  return {
    active: true,
    token_type: 'refresh_token',
    scope: record.scope.join(' '),
    client_id: record.clientId,
    sub: record.sub,
    iss: ctx.issuer,
    exp: Math.floor(record.expMs / 1000),
    iat: Math.floor(record.iatMs / 1000),
  }
}
