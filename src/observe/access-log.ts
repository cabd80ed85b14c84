/**
 * One access-log line and one metrics sample per request. Only derived fields are logged — never
 * headers, bodies or credentials — so redaction is a backstop, not the plan.
 */
import type { Logger } from 'pino'
import type { RequestContext } from '../core/context.js'
import type { Metrics } from './metrics.js'

export function createAccessLog(logger: Logger, metrics: Metrics): (ctx: RequestContext, status: number, route: string | undefined) => void {
  // Labelled children are cached: prom-client hashes label objects on every call otherwise.
  // Label values are bounded (route names from config, methods, statuses), so the maps are too.
  const counters = new Map<string, ReturnType<Metrics['requests']['labels']>>()
  const histograms = new Map<string, ReturnType<Metrics['duration']['labels']>>()
  return (ctx, status, route = '') => {
    const seconds = Number(process.hrtime.bigint() - ctx.startNs) / 1e9
    const key = `${route}\0${ctx.method}\0${status}`
    let counter = counters.get(key)
    if (!counter) counters.set(key, (counter = metrics.requests.labels(route, ctx.method, String(status))))
    counter.inc()
    let histogram = histograms.get(route)
    if (!histogram) histograms.set(route, (histogram = metrics.duration.labels(route)))
    histogram.observe(seconds)
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
      // The principal as flat fields: pino writes top-level strings itself, while a nested object
      // goes through a generic JSON.stringify (several µs per line). Absent for anonymous requests.
      consumerId: p?.consumerId,
      authMethod: p?.method,
      credentialId: p?.credentialId,
      decision: ctx.decision,
    }, 'request')
  }
}
