/**
 * One access-log line and one metrics sample per request. Only derived fields are logged — never
 * headers, bodies or credentials — so redaction is a backstop, not the plan.
 */
import type { Logger } from 'pino'
import type { RequestContext } from '../core/context.js'
import type { Metrics } from './metrics.js'

export function createAccessLog(logger: Logger, metrics: Metrics): (ctx: RequestContext, status: number, route: string | undefined) => void {
  return (ctx, status, route = '') => {
    const seconds = Number(process.hrtime.bigint() - ctx.startNs) / 1e9
    metrics.requests.inc({ route, method: ctx.method, status: String(status) })
    metrics.duration.observe({ route }, seconds)
    if (!logger.isLevelEnabled('info')) return
    const p = ctx.principal
    logger.info({
      requestId: ctx.id,
      method: ctx.method,
      path: ctx.path,
      route,
      status,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      bytesOut: ctx.res.getHeader('content-length') ?? undefined,
      clientIp: ctx.clientIp,
      principal: p ? { consumerId: p.consumerId, method: p.method, credentialId: p.credentialId } : undefined,
      decision: ctx.decision,
    }, 'request')
  }
}
