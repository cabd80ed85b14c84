/**
 * Admin API: usage analytics, the audit log, recent requests by key, and the live security event
 * stream (Server-Sent Events).
 */
import type { AdminRoute } from './router.js'
import { sendJson } from './router.js'
import { GatewayError } from '../core/errors.js'
import type { DataStore, UsageGranularity } from '../store/data/types.js'
import type { RequestLog } from '../observe/request-log.js'
import type { SecurityEvents } from '../core/events.js'

const GRANULARITIES = new Set(['minute', 'hour', 'day'])

function timeParam(value: string | null): number | undefined {
  if (value === null) return undefined
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (Number.isNaN(n)) throw new GatewayError('ERR_ADMIN_INVALID', `Not a time: ${value}`)
  return n
}

export function observeRoutes(deps: { data: DataStore; requestLog: RequestLog; events: SecurityEvents; flushUsage(): Promise<void> }): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/usage',
      async handle({ res, query }) {
        const keyId = query.get('key') ?? undefined
        const consumerId = query.get('consumer') ?? undefined
        if (!keyId && !consumerId) throw new GatewayError('ERR_ADMIN_INVALID', 'Give ?key={id} or ?consumer={id}.')
        const granularity = query.get('granularity') ?? 'minute'
        if (!GRANULARITIES.has(granularity)) throw new GatewayError('ERR_ADMIN_INVALID', 'granularity is minute, hour or day.')
        // Usage is written in batches off the request path; flush so the answer includes the latest.
        await deps.flushUsage()
        const points = await deps.data.usage({ keyId, consumerId, granularity: granularity as UsageGranularity, from: timeParam(query.get('from')), to: timeParam(query.get('to')) })
        const total = points.reduce((n, p) => n + p.count, 0)
        sendJson(res, 200, { key: keyId, consumer: consumerId, granularity, total, points: points.map((p) => ({ ...p, bucket: new Date(p.bucket).toISOString() })) })
      },
    },
    {
      method: 'GET',
      path: '/admin/audit',
      async handle({ res, query }) {
        const limit = query.get('limit')
        sendJson(res, 200, { items: await deps.data.listAudit({ actor: query.get('actor') ?? undefined, action: query.get('action') ?? undefined, target: query.get('target') ?? undefined, before: query.get('before') ?? undefined, limit: limit ? Number(limit) : undefined }) })
      },
    },
    {
      method: 'GET',
      path: '/admin/logs',
      handle({ res, query }) {
        const limit = Math.min(1000, Number(query.get('limit') ?? 100) || 100)
        sendJson(res, 200, { items: deps.requestLog.query({ keyId: query.get('key') ?? undefined, consumerId: query.get('consumer') ?? undefined, limit }) })
      },
    },
    {
      method: 'GET',
      path: '/admin/events',
      handle({ req, res }) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
        res.write(': portcullis security events\n\n')
        let id = 0
        const unsubscribe = deps.events.subscribe((event) => {
          res.write(`id: ${++id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
        })
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
        heartbeat.unref()
        req.once('close', () => {
          clearInterval(heartbeat)
          unsubscribe()
        })
      },
    },
  ]
}
