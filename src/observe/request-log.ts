/**
 * The recent-requests log behind `GET /admin/logs?key=`: a bounded in-memory ring of access-log
 * entries, filterable by key and consumer. It answers "what did this key just do?" without a log
 * pipeline; the JSON access log on stdout remains the durable record.
 */
import type { RequestContext } from '../core/context.js'

export interface RequestLogEntry {
  /** Epoch ms (formatted only when queried: the ring is written on every request). */
  time: number | string
  requestId: string
  method: string
  path: string
  route: string
  status: number
  durationMs: number
  clientIp: string
  keyId?: string | undefined
  consumerId?: string | undefined
  authMethod?: string | undefined
  decision: string
}

export interface RequestLog {
  record(ctx: RequestContext, status: number): void
  query(filter: { keyId?: string; consumerId?: string; limit?: number }): RequestLogEntry[]
}

export function createRequestLog(capacity = 10_000): RequestLog {
  const ring: (RequestLogEntry | undefined)[] = new Array(capacity)
  let next = 0
  return {
    record(ctx, status) {
      const p = ctx.principal
      ring[next] = {
        time: Date.now(),
        requestId: ctx.id,
        method: ctx.method,
        path: ctx.path,
        route: ctx.route.name,
        status,
        durationMs: Number(process.hrtime.bigint() - ctx.startNs) / 1e6,
        clientIp: ctx.clientIp,
        keyId: p?.credentialId,
        consumerId: p?.consumerId,
        authMethod: p?.method,
        decision: ctx.decision,
      }
      next = (next + 1) % capacity
    },
    query({ keyId, consumerId, limit = 100 }) {
      const out: RequestLogEntry[] = []
      for (let i = 1; i <= capacity && out.length < limit; i++) {
        const entry = ring[(next - i + capacity) % capacity]
        if (!entry) break
        if (keyId && entry.keyId !== keyId) continue
        if (consumerId && entry.consumerId !== consumerId) continue
        out.push({ ...entry, time: new Date(entry.time).toISOString() })
      }
      return out
    },
  }
}
