/**
 * The listener's request handler: request id → context → route → pipeline → upstream, with every
 * refusal rendered as one problem response and every request logged and counted exactly once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from '../core/context.js'
import { contextFor } from './request-context.js'
import { GatewayError } from '../core/errors.js'
import { createProblem, sendProblem } from '../core/problem.js'
import type { Rejection } from '../core/types.js'
import type { Runtime, CompiledRoute } from '../runtime.js'
import { forward, type UpstreamFailure } from './forward.js'
import { isSafePath } from './path-safety.js'
import { normalizeHttp2Request } from '../tls/h2-compat.js'

/** What the handler needs from the gateway that owns it. */
export interface HandlerHost {
  /** The current runtime (read once per request). */
  runtime(): Runtime
  shuttingDown(): boolean
  /** Handlers that may answer before routing (OAuth endpoints); return true when they answered. */
  mounts: readonly ((ctx: RequestContext) => boolean | Promise<boolean>)[]
  onUpstreamFailure(upstream: string, kind: UpstreamFailure): void
  /** Called once per request when the response is done (logs, metrics, usage). */
  onComplete(ctx: RequestContext, status: number, route: CompiledRoute | undefined): void
  onError(ctx: RequestContext, error: unknown): void
  /** Releases a runtime's in-flight count (it may retire after a swap). */
  release(runtime: Runtime): void
}

export function createRequestHandler(host: HandlerHost): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const runtime = host.runtime()
    runtime.inFlight++
    // Connection-specific fields are forbidden in HTTP/2 (RFC 9113 §8.2.2); h2 drains with GOAWAY.
    if (host.shuttingDown() && req.httpVersionMajor === 1) res.setHeader('connection', 'close')
    if (req.httpVersionMajor === 2) normalizeHttp2Request(req)
    const ctx = contextFor(req, res, runtime, runtime.config.limits.maxBodyBytes)
    let route: CompiledRoute | undefined
    res.once('close', () => {
      if (route) for (const p of route.pipeline.policies) p.handler.onResponse?.(ctx, res.statusCode)
      host.onComplete(ctx, res.statusCode, route)
      host.release(runtime)
    })
    handle(ctx, runtime, host, (r) => (route = r)).catch((error: unknown) => {
      if (error instanceof GatewayError) reject(ctx, { code: error.code, detail: error.message, headers: error.headers })
      else {
        host.onError(ctx, error)
        reject(ctx, { code: 'ERR_INTERNAL', detail: 'The gateway could not process this request.' })
      }
    })
  }
}

async function handle(ctx: RequestContext, runtime: Runtime, host: HandlerHost, setRoute: (r: CompiledRoute) => void): Promise<void> {
  if (!ctx.headers.host && ctx.req.httpVersionMajor === 1 && ctx.req.httpVersionMinor === 1) {
    return reject(ctx, { code: 'ERR_REQUEST_MALFORMED', detail: 'HTTP/1.1 requests must carry a Host header.' })
  }
  if (!isSafePath(ctx.path)) return reject(ctx, { code: 'ERR_REQUEST_MALFORMED', detail: 'The request path is not a valid origin-form path.' })
  for (const mount of host.mounts) if (await mount(ctx)) return
  const match = runtime.router.match(ctx.method, ctx.path, ctx.headers.host)
  if (match.kind === 'not-found') return reject(ctx, { code: 'ERR_ROUTE_NOT_FOUND' })
  if (match.kind === 'method-not-allowed') {
    return reject(ctx, { code: 'ERR_METHOD_NOT_ALLOWED', detail: `Allowed: ${match.allow.join(', ')}.`, headers: { allow: match.allow.join(', ') } })
  }
  const route = match.route
  setRoute(route)
  ctx.route = { name: route.name, upstream: route.upstream.name }
  ctx.params = match.params
  const refusal = await route.pipeline.run(ctx)
  if (refusal) return reject(ctx, refusal.rejection)
  await forward(ctx, route.upstream, ctx.secure ? 'https' : 'http', (kind) => host.onUpstreamFailure(route.upstream.name, kind))
}

/** Renders a rejection; a body the client is still sending is not read any further. */
export function reject(ctx: RequestContext, rejection: Rejection): void {
  if (ctx.decision === 'allow' || ctx.decision.startsWith('monitor:')) ctx.decision = rejection.code
  const problem = createProblem(rejection.code, rejection.detail, ctx.id, rejection.extra)
  if (!ctx.req.complete && ctx.req.httpVersionMajor === 1) ctx.res.setHeader('connection', 'close')
  sendProblem(ctx.res, problem, { accept: ctx.headers.accept, headers: { ...ctx.responseHeaders, ...rejection.headers }, head: ctx.method === 'HEAD' })
}
