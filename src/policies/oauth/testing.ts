/**
 * Test fixtures for the `oauth` policy: runs the handler behind a real node:http listener (the
 * test authorization server's fallback) and exposes the refusal reason in a test-only header so
 * attack tests can assert *why* a token was refused, not just that it was.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Value } from 'typebox/value'
import { RequestContext } from '../../core/context.js'
import { ERRORS } from '../../core/errors.js'
import type { PolicyHandler } from '../../core/types.js'
import { createOAuthPolicyHandler, type OAuthPolicyStores } from './oauth.js'
import { OAuthPolicySchema, type OAuthPolicyConfig } from './schema.js'

/** Header carrying the internal refusal reason in tests only. */
export const TEST_REASON_HEADER = 'x-test-reason'

/** Applies schema defaults and validates, as config load would. */
export function oauthConfig(partial: Record<string, unknown>): OAuthPolicyConfig {
  const value = Value.Default(OAuthPolicySchema, structuredClone(partial))
  if (!Value.Check(OAuthPolicySchema, value)) throw new Error('invalid oauth test config: ' + JSON.stringify([...Value.Errors(OAuthPolicySchema, value)]))
  return value as OAuthPolicyConfig
}

/** Wraps a handler as a node:http request listener that answers 200 with the Principal. */
export function protectedApi(handler: PolicyHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const ctx = new RequestContext({
      id: 'test',
      req,
      res,
      path: q < 0 ? url : url.slice(0, q),
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      clientIp: req.socket.remoteAddress ?? '',
      secure: false,
      maxBodyBytes: 1024,
      bodyTimeoutMs: 1000,
    })
    const rejection = await handler.onRequest(ctx)
    if (rejection) {
      const body = JSON.stringify({ code: rejection.code })
      res.writeHead(ERRORS[rejection.code].status, { ...rejection.headers, [TEST_REASON_HEADER]: encodeURIComponent(rejection.reason ?? ''), 'content-type': 'application/json' })
      res.end(body)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ principal: ctx.principal ?? null }))
  }
}

/** Builds a handler from a partial config. */
export function oauthHandler(partial: Record<string, unknown>, stores: OAuthPolicyStores): PolicyHandler {
  return createOAuthPolicyHandler(oauthConfig(partial), stores)
}
