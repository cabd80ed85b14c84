/**
 * e2e fixture: a real gateway (test/helpers) whose route runs the rate-limit policy, with real
 * stores (memory or Redis state, in-memory SQLite data). Used in-process and, for the
 * multi-process exactness test, from `gateway-worker.ts` in child processes.
 */
import { startGateway } from '../../../../test/helpers/gateway.js'
import { openDataStore } from '../../../store/data/open.js'
import { openStateStore } from '../../../store/state/open.js'
import { createRegistry } from '../../registry.js'
import { rateLimitPolicy } from '../index.js'

/** The registry with rate-limit in it (whether or not the built-in list has it yet). */
export function registryWithRateLimit(): ReturnType<typeof createRegistry> {
  const base = createRegistry()
  return base.has('rate-limit') ? base : createRegistry([rateLimitPolicy])
}

/** Starts a gateway proxying `/*` to `upstreamUrl` through one rate-limit policy. */
export async function startRateLimitedGateway(options: {
  upstreamUrl: string
  rateLimit: Record<string, unknown>
  state: string
  keyPrefix?: string
  breaker?: { failureThreshold?: number; openMs?: number }
}): Promise<Awaited<ReturnType<typeof startGateway>>> {
  const state = await openStateStore(options.state, {
    redis: { keyPrefix: options.keyPrefix ?? 'portcullis:', commandTimeoutMs: 2000 },
    ...(options.breaker ? { breaker: options.breaker } : {}),
  })
  const data = await openDataStore('sqlite::memory:')
  return startGateway(
    {
      upstreams: { app: { url: options.upstreamUrl, connectTimeout: '10s', responseTimeout: '60s' } },
      routes: [{ name: 'limited', match: { path: '/*' }, upstream: 'app', policies: [{ name: 'rate-limit', config: options.rateLimit }] }],
      policies: [],
    },
    { registry: registryWithRateLimit(), stores: { state, data } },
  )
}
