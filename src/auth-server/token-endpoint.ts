/**
 * `POST /oauth/token` (RFC 6749 §3.2): client_credentials, authorization_code (+ PKCE) and
 * refresh_token (with rotation). Errors follow §5.2; every answer carries `Cache-Control: no-store`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthServerContext } from './context.js'
import { authenticateClient } from './client-auth.js'
import { OAuthError, parseScope, readForm, sendJson, sendOAuthError } from './http-util.js'
import type { ClientRecord, GrantType } from './stores.js'

const GRANTS: readonly GrantType[] = ['client_credentials', 'authorization_code', 'refresh_token']

/** Handles one token request; never throws for client mistakes. */
export async function handleToken(req: IncomingMessage, res: ServerResponse, ctx: AuthServerContext): Promise<void> {
  try {
    const form = await readForm(req, ctx.maxBodyBytes, ctx.bodyTimeoutMs)
    const client = await authenticateClient(req, form, ctx.clients)
    const grantType = form.get('grant_type')
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.')
    if (!(GRANTS as readonly string[]).includes(grantType)) throw new OAuthError('unsupported_grant_type', 'This grant type is not supported.')
    if (!client.grants.includes(grantType as GrantType)) throw new OAuthError('unauthorized_client', 'The client may not use this grant type.')
    const body =
      grantType === 'client_credentials'
        ? await clientCredentials(form, client, ctx)
        : grantType === 'authorization_code'
          ? await authorizationCode(form, client, ctx)
          : await refresh(form, client, ctx)
    sendJson(res, 200, body)
  } catch (error) {
    if (error instanceof OAuthError) sendOAuthError(res, error)
    else throw error
  }
}

interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
  refresh_token?: string
}

async function clientCredentials(form: Map<string, string>, client: ClientRecord, ctx: AuthServerContext): Promise<TokenResponse> {
  const requested = parseScope(form.get('scope'))
  const scope = requested ?? [...client.scopes]
  if (scope.some((s) => !client.scopes.includes(s))) throw new OAuthError('invalid_scope', 'The requested scope exceeds what the client may use.')
  const issued = await ctx.accessTokens.issue({
    sub: client.consumerId ?? client.clientId,
    clientId: client.clientId,
    scope,
    tenant: client.tenant,
    roles: client.roles,
  })
  // RFC 6749 §4.4.3: no refresh token for client_credentials.
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresInS, scope: scope.join(' ') }
}

async function authorizationCode(form: Map<string, string>, client: ClientRecord, ctx: AuthServerContext): Promise<TokenResponse> {
  const code = form.get('code')
  if (code === undefined) throw new OAuthError('invalid_request', 'code is required.')
  const grant = await ctx.codes.redeem(code, client.clientId, form.get('redirect_uri'), form.get('code_verifier'), (familyId) =>
    ctx.refreshTokens.revokeFamily(familyId),
  )
  // The client's allowance may have shrunk since consent: never issue more than it has now.
  const scope = grant.scope.filter((s) => client.scopes.includes(s))
  return issueWithRefresh(client, ctx, { ...grant, scope }, grant.familyId)
}

async function refresh(form: Map<string, string>, client: ClientRecord, ctx: AuthServerContext): Promise<TokenResponse> {
  const token = form.get('refresh_token')
  if (token === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.')
  const requested = parseScope(form.get('scope'))
  // Check the scope before spending the token, so a bad request does not cost the client its grant.
  const current = await ctx.refreshTokens.lookup(token)
  if (requested && current && requested.some((s) => !current.record.scope.includes(s))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the original grant.')
  }
  const grant = await ctx.refreshTokens.redeem(token, client.clientId)
  const scope = (requested ?? grant.scope).filter((s) => grant.scope.includes(s) && client.scopes.includes(s))
  // A refresh token keeps the full original grant; only the access token is narrowed.
  return issueWithRefresh(client, ctx, { ...grant, scope }, grant.familyId, grant.scope)
}

async function issueWithRefresh(
  client: ClientRecord,
  ctx: AuthServerContext,
  grant: { sub: string; scope: string[]; tenant?: string | undefined; roles?: string[] | undefined },
  familyId: string,
  refreshScope: string[] = grant.scope,
): Promise<TokenResponse> {
  const issued = await ctx.accessTokens.issue({ sub: grant.sub, clientId: client.clientId, scope: grant.scope, tenant: grant.tenant, roles: grant.roles })
  const body: TokenResponse = { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresInS, scope: grant.scope.join(' ') }
  // Recorded even without a refresh token: a replayed code must still reach this access token.
  await ctx.refreshTokens.recordAccessToken(familyId, issued.jti, issued.exp)
  if (!client.grants.includes('refresh_token')) return body
  const { token } = await ctx.refreshTokens.issue({
    familyId,
    clientId: client.clientId,
    sub: grant.sub,
    scope: refreshScope,
    tenant: grant.tenant,
    roles: grant.roles,
  })
  // A reuse detected while we were issuing revoked the family: do not hand out live tokens from it.
  if (await ctx.refreshTokens.isFamilyRevoked(familyId)) {
    await ctx.accessTokens.revoke(issued.jti, issued.exp)
    throw new OAuthError('invalid_grant', 'The grant has been revoked.')
  }
  body.refresh_token = token
  return body
}
