/**
 * api-key (authn). Threat: anonymous use of the API, stolen or guessed keys, keys used from places
 * they were not issued for. Failure mode: fails closed — a store error is a 500 (logged), never a
 * pass. From outside, unknown, revoked, expired and malformed keys are indistinguishable (one
 * generic 401); the precise reason goes to the security event only.
 */
import type { Policy, Rejection } from '../../core/types.js'
import type { RequestContext } from '../../core/context.js'
import { parseDurationMs } from '../../core/units.js'
import { ApiKeySchema, type ApiKeyConfig } from './schema.js'
import { looksLikeApiKey } from './key-format.js'
import { originAllowed } from './app-restriction.js'
import { createBruteForceGuard } from './brute-force.js'
import type { VerifyOutcome } from './verifier.js'

/** The one detail every invalid-key answer carries. */
export const API_KEY_INVALID_DETAIL = 'The credential is not valid.'

export const apiKeyPolicy: Policy<typeof ApiKeySchema> = {
  name: 'api-key',
  stage: 'authn',
  schema: ApiKeySchema,
  create(config, deps) {
    const header = config.header.toLowerCase()
    const appHeader = config.appHeader.toLowerCase()
    const challenge = `ApiKey realm="portcullis", header="${config.header}"`
    const guard = createBruteForceGuard(deps.state, {
      windowMs: parseDurationMs(config.bruteForce.window),
      slowAfter: config.bruteForce.slowAfter,
      slowDelayMs: parseDurationMs(config.bruteForce.slowDelay),
      maxDelayMs: parseDurationMs(config.bruteForce.maxDelay),
      blockAfter: config.bruteForce.blockAfter,
      blockForMs: parseDurationMs(config.bruteForce.blockFor),
    })
    const invalid = (reason: string): Rejection => ({ code: 'ERR_AUTH_INVALID', detail: API_KEY_INVALID_DETAIL, reason, headers: { 'www-authenticate': `${challenge}, error="invalid_key"` } })
    const locked = (blockedMs: number): Rejection => ({ code: 'ERR_AUTH_LOCKED', detail: 'Too many invalid credentials from this address; try again later.', reason: 'client IP blocked after repeated invalid keys', headers: { 'retry-after': String(Math.ceil(blockedMs / 1000)) } })

    /** The verifier's answer → the restrictions → the Principal. */
    async function refuse(ctx: RequestContext, reason: string): Promise<Rejection> {
      const blocked = await guard.fail(ctx.clientIp)
      if (blocked) deps.events.publish({ type: 'auth.bruteforce.block', action: 'reject', policy: 'api-key', requestId: ctx.id, clientIp: ctx.clientIp, reason: 'repeated invalid API keys' })
      return invalid(`key ${reason}`)
    }

    function admit(ctx: RequestContext, outcome: VerifyOutcome): Rejection | null | Promise<Rejection> {
      if (!outcome.ok) return refuse(ctx, outcome.reason)
      const { record, cidrs, principal } = outcome.key
      if (cidrs.size > 0 && !cidrs.has(ctx.clientIp)) return forbidden(`client IP ${ctx.clientIp} outside the key's allowCidrs`)
      if (record.allowedOrigins.length > 0 && !originAllowed(record.allowedOrigins, header1(ctx, 'origin'), header1(ctx, 'referer'))) {
        return forbidden('Origin/Referer not among the key\'s allowedOrigins')
      }
      if (record.allowedApps.length > 0 && !record.allowedApps.includes(header1(ctx, appHeader) ?? '')) return forbidden('app identity not among the key\'s allowedApps')
      // Built and frozen once per verified key, shared by its requests (as oauth does).
      ctx.principal = principal
      return null
    }

    return {
      // Not `async`: a warm request settles in one promise, the lockout read (which decides
      // first, as before); the verifier answers a cached key synchronously.
      onRequest(ctx) {
        const presented = extractKey(ctx, config, header)
        if (presented === undefined) return { code: 'ERR_AUTH_REQUIRED', detail: 'An API key or other credential is required.', headers: { 'www-authenticate': challenge } }
        return guard.blockedFor(ctx.clientIp).then((blockedMs) => {
          if (blockedMs > 0) return locked(blockedMs)
          const outcome = deps.credentials.apiKeys.verify(presented)
          return outcome instanceof Promise ? outcome.then((settled) => admit(ctx, settled)) : admit(ctx, outcome)
        })
      },
    }
  },
}

function forbidden(reason: string): Rejection {
  return { code: 'ERR_AUTH_FORBIDDEN', detail: 'This credential may not be used from here.', reason }
}

function header1(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function extractKey(ctx: RequestContext, config: ApiKeyConfig, header: string): string | undefined {
  const direct = header1(ctx, header)
  if (direct) return direct.trim()
  if (config.allowBearer) {
    const auth = ctx.headers.authorization
    if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
      const token = auth.slice(7).trim()
      if (looksLikeApiKey(token)) return token
    }
  }
  if (config.queryParam) return ctx.query.get(config.queryParam) ?? undefined
  return undefined
}
