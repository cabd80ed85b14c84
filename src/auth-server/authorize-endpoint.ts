/**
 * `GET|POST /oauth/authorize`: the authorization-code front channel with PKCE (S256 only) and a
 * minimal login + consent page for local users. Errors that concern the client or redirect URI
 * are shown on the page and never redirected (an unverified redirect would be an open redirector,
 * RFC 6749 §4.1.2.1); every other error goes back to the client with `state` and `iss` (RFC 9207).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CHALLENGE } from './authorization-codes.js'
import { PATHS, type AuthServerContext } from './context.js'
import { OAuthError, parseScope, readForm, type OAuthErrorCode } from './http-util.js'
import { escapeHtml, renderLoginPage } from './login-page.js'
import { randomToken } from './secrets.js'
import { authRequestDoneKey, authRequestKey } from './state-keys.js'

/** A validated authorization request, kept server-side while the user signs in. */
interface PendingRequest {
  clientId: string
  redirectUri: string
  codeChallenge: string
  scope: string[]
  state?: string | undefined
}

/** Handles GET (show the page) and POST (sign in and decide). */
export async function handleAuthorize(req: IncomingMessage, res: ServerResponse, ctx: AuthServerContext, rawQuery: string): Promise<void> {
  if (req.method === 'GET' || req.method === 'HEAD') return showPage(res, ctx, rawQuery)
  if (req.method === 'POST') return decide(req, res, ctx)
  res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-length': 0 })
  res.end()
}

async function showPage(res: ServerResponse, ctx: AuthServerContext, rawQuery: string): Promise<void> {
  const params = new Map<string, string>()
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    if (params.has(k)) return sendPage(res, 400, errorPage(`Parameter ${k} is repeated.`))
    params.set(k, v)
  }
  const clientId = params.get('client_id')
  const client = clientId && clientId.length <= 512 ? await ctx.clients.findClient(clientId) : null
  const redirectUri = params.get('redirect_uri')
  if (!client || redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
    return sendPage(res, 400, errorPage('Unknown client or unregistered redirect_uri.'))
  }
  const state = params.get('state')
  const back = (error: OAuthErrorCode, description: string): void => redirect(res, ctx, redirectUri, { error, error_description: description, state })
  if (state !== undefined && state.length > 1024) return back('invalid_request', 'state is too long.')
  if (params.get('response_type') !== 'code') return back('unsupported_response_type', 'Only response_type=code is supported.')
  if (!client.grants.includes('authorization_code')) return back('unauthorized_client', 'The client may not use the authorization code grant.')
  if (params.get('code_challenge_method') !== 'S256') return back('invalid_request', 'PKCE with code_challenge_method=S256 is required.')
  const codeChallenge = params.get('code_challenge')
  if (codeChallenge === undefined || !CHALLENGE.test(codeChallenge)) return back('invalid_request', 'code_challenge is missing or malformed.')
  let scope: string[]
  try {
    scope = parseScope(params.get('scope')) ?? [...client.scopes]
  } catch (error) {
    return back('invalid_scope', (error as Error).message)
  }
  if (scope.some((s) => !client.scopes.includes(s))) return back('invalid_scope', 'The requested scope exceeds what the client may use.')
  const pending: PendingRequest = { clientId: client.clientId, redirectUri, codeChallenge, scope, state }
  const requestId = randomToken(24)
  await ctx.state.set(authRequestKey(requestId), JSON.stringify(pending), ctx.authRequestTtlMs)
  sendPage(res, 200, renderLoginPage({ clientId: client.clientId, scopes: scope, requestId, action: PATHS.authorize }), redirectUri)
}

async function decide(req: IncomingMessage, res: ServerResponse, ctx: AuthServerContext): Promise<void> {
  let form: Map<string, string>
  try {
    form = await readForm(req, ctx.maxBodyBytes, ctx.bodyTimeoutMs)
  } catch (error) {
    return sendPage(res, error instanceof OAuthError ? error.status : 400, errorPage('The form could not be read.'))
  }
  const requestId = form.get('request_id') ?? ''
  const raw = requestId.length > 0 && requestId.length <= 64 ? await ctx.state.get(authRequestKey(requestId)) : null
  if (raw === null) return sendPage(res, 400, errorPage('This sign-in request has expired. Start again from the application.'))
  const pending = JSON.parse(raw) as PendingRequest
  if (form.get('decision') !== 'allow') {
    if (await ctx.state.setIfAbsent(authRequestDoneKey(requestId), '1', ctx.authRequestTtlMs)) {
      return redirect(res, ctx, pending.redirectUri, { error: 'access_denied', error_description: 'The user denied the request.', state: pending.state })
    }
    return sendPage(res, 400, errorPage('This sign-in request was already completed.'))
  }
  const user = ctx.users ? await ctx.users.authenticate(form.get('username') ?? '', form.get('password') ?? '') : null
  if (!user) {
    const page = renderLoginPage({ clientId: pending.clientId, scopes: pending.scope, requestId, action: PATHS.authorize, error: 'Wrong username or password.' })
    return sendPage(res, 401, page, pending.redirectUri)
  }
  if (!(await ctx.state.setIfAbsent(authRequestDoneKey(requestId), '1', ctx.authRequestTtlMs))) {
    return sendPage(res, 400, errorPage('This sign-in request was already completed.'))
  }
  const scope = user.scopes ? pending.scope.filter((s) => user.scopes!.includes(s)) : pending.scope
  const code = await ctx.codes.issue({
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    codeChallenge: pending.codeChallenge,
    sub: user.subject,
    scope,
    tenant: user.tenant,
    roles: user.roles ? [...user.roles] : undefined,
  })
  redirect(res, ctx, pending.redirectUri, { code, state: pending.state })
}

function redirect(res: ServerResponse, ctx: AuthServerContext, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v)
  url.searchParams.set('iss', ctx.issuer)
  // 303 so the browser follows with GET even after the POST of the login form.
  res.writeHead(303, { location: url.href, 'cache-control': 'no-store', 'content-length': 0 })
  res.end()
}

function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error – Portcullis</title></head><body><main><h1>Sign-in error</h1><p role="alert">${escapeHtml(message)}</p></main></body></html>`
}

function sendPage(res: ServerResponse, status: number, html: string, redirectUri?: string): void {
  // form-action must allow the client's origin: browsers apply it to the redirect after the POST.
  const formAction = redirectUri ? `'self' ${new URL(redirectUri).origin}` : `'self'`
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  })
  res.end(html)
}
