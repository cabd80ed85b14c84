/**
 * Prometheus metrics (prom-client), one registry per gateway so tests and embedders never share
 * global state. Labels are bounded: route names come from config, never from raw paths.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The gateway's metric instruments. */
export interface Metrics {
  registry: Registry
  requests: Counter<'route' | 'method' | 'status'>
  duration: Histogram<'route'>
  decisions: Counter<'policy' | 'decision' | 'code'>
  upstreamErrors: Counter<'upstream' | 'kind'>
  /** 1 while the state store's circuit breaker is open or probing. */
  stateStoreDegraded: Gauge
}

/** Creates a fresh registry with the gateway's instruments (and Node process metrics). */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'portcullis_' })
  return {
    registry,
    requests: new Counter({
      name: 'portcullis_requests_total',
      help: 'Requests answered, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request start to response end, by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'portcullis_policy_decisions_total',
      help: 'Policy decisions: reject, monitor (would reject), by policy and code',
      labelNames: ['policy', 'decision', 'code'],
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'portcullis_upstream_errors_total',
      help: 'Upstream failures by upstream and kind (unreachable, timeout, reset)',
      labelNames: ['upstream', 'kind'],
      registers: [registry],
    }),
    stateStoreDegraded: new Gauge({
      name: 'portcullis_state_store_degraded',
      help: '1 while the state store (Redis) circuit breaker is open or half-open',
      registers: [registry],
    }),
  }
}
