/**
 * Liveness, readiness and Prometheus metrics. Probes are public (orchestrators send no tokens);
 * metrics need the admin token unless `admin.publicMetrics` is set.
 */
import type { AdminRoute } from './router.js'
import { sendJson } from './router.js'
import type { Metrics } from '../observe/metrics.js'

export interface HealthSource {
  shuttingDown(): boolean
  /** Resolves when every store answers; rejects with the failing one otherwise. */
  checkStores(): Promise<void>
}

export function healthRoutes(source: HealthSource, metrics: Metrics, publicMetrics: boolean): AdminRoute[] {
  return [
    { method: 'GET', path: '/healthz', public: true, handle: ({ res }) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      public: true,
      async handle({ res }) {
        if (source.shuttingDown()) return sendJson(res, 503, { status: 'shutting-down' })
        try {
          await source.checkStores()
          sendJson(res, 200, { status: 'ready' })
        } catch (error) {
          sendJson(res, 503, { status: 'degraded', reason: (error as Error).message })
        }
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      public: publicMetrics,
      role: 'viewer',
      async handle({ res }) {
        const text = await metrics.registry.metrics()
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' })
        res.end(text)
      },
    },
  ]
}
