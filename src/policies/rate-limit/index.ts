/**
 * rate-limit (traffic). Threat: abuse by volume — credential stuffing and scraping at machine
 * speed, one consumer starving the others, runaway clients, cost blow-ups on metered upstreams.
 * Answers with per-consumer/key/IP/route/tenant/header limits (GCRA or exact sliding window),
 * throttling (delay instead of refuse, as nginx `limit_req` with `delay`), concurrency caps and
 * calendar quotas; 429/503 with Retry-After and the IETF RateLimit header fields.
 *
 * Failure mode: when the state store fails, `onStoreError` decides — `allow` by default (an
 * outage of Redis must not take the API down; limits are a safety net), `deny` (503) on request.
 * Quotas default to `deny` (they are usually money). A circuit breaker in the store keeps a dead
 * Redis at ~no cost per request; degraded operation is logged (throttled) and counted in
 * `portcullis_policy_decisions_total{policy="rate-limit",decision="store-error-*"}`.
 */
import type { Policy } from '../../core/types.js'
import { createRateLimitHandler } from './rate-limit.js'
import { RateLimitSchema } from './schema.js'

/** The `rate-limit` policy module (registry entry). */
export const rateLimitPolicy: Policy<typeof RateLimitSchema> = {
  name: 'rate-limit',
  stage: 'traffic',
  schema: RateLimitSchema,
  create(config, deps) {
    return createRateLimitHandler(config, deps)
  },
}
