/**
 * Configuration of the `rate-limit` traffic policy (TypeBox; validated at load, defaults applied).
 * Durations accept integer milliseconds or strings such as "1s", "1m", "1h".
 */
import { Type, type Static } from 'typebox'

const Duration = (description: string, fallback?: string) =>
  Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?\\s*$' })], {
    description,
    ...(fallback === undefined ? {} : { default: fallback }),
  })

/** Names appear in `RateLimit-Policy` as sf-strings: keep them to safe ASCII. */
const PolicyName = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'Name shown in the RateLimit-Policy / RateLimit header fields' })

/**
 * What a limit is counted per. `consumer`, `key` and `tenant` fall back to the client IP for
 * unauthenticated requests (so anonymous callers never share one bucket); `header:<name>` counts
 * per value of that request header (absent header = one shared bucket).
 */
export const KeyPartSchema = Type.Union([
  Type.Literal('consumer'),
  Type.Literal('key'),
  Type.Literal('ip'),
  Type.Literal('route'),
  Type.Literal('tenant'),
  Type.String({ pattern: "^header:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$" }),
])
export type KeyPart = Static<typeof KeyPartSchema>

const KeyParts = (fallback: KeyPart[], description: string) => Type.Array(KeyPartSchema, { minItems: 1, maxItems: 6, default: fallback, description })

const OnStoreError = (fallback: 'allow' | 'deny', description: string) =>
  Type.Union([Type.Literal('allow'), Type.Literal('deny')], { default: fallback, description })

/** One rate limit; a route may have several (e.g. 10 per second with a burst, and 1000 per hour). */
export const LimitSchema = Type.Object(
  {
    name: Type.Optional(PolicyName),
    key: KeyParts(['consumer'], 'Count per these parts combined (default: per consumer)'),
    limit: Type.Integer({ minimum: 1, description: 'Requests allowed per window' }),
    window: Duration('Window length, e.g. "1s", "1m", "1h"'),
    burst: Type.Optional(
      Type.Integer({ minimum: 1, description: 'gcra: requests allowed back-to-back (default: limit in reject mode, 1 in throttle mode)' }),
    ),
    algorithm: Type.Union([Type.Literal('gcra'), Type.Literal('sliding-window')], {
      default: 'gcra',
      description: 'gcra: smooth, O(1) memory. sliding-window: exact count over the last window, O(limit) memory per key',
    }),
  },
  { additionalProperties: false },
)

/** Maximum in-flight requests per key (503 + Retry-After beyond it). */
export const ConcurrencySchema = Type.Object(
  {
    max: Type.Integer({ minimum: 1 }),
    key: KeyParts(['route'], 'Count in-flight requests per these parts (default: per route)'),
    leaseTtl: Duration('A slot not released within this frees itself (crashed gateway); keep above the longest request', '60s'),
  },
  { additionalProperties: false },
)

/** A calendar-aligned (UTC) allowance, persisted in the data store. */
export const QuotaSchema = Type.Object(
  {
    name: Type.Optional(PolicyName),
    limit: Type.Integer({ minimum: 1 }),
    period: Type.Union([Type.Literal('day'), Type.Literal('month')]),
    key: Type.Array(Type.Union([Type.Literal('key'), Type.Literal('consumer'), Type.Literal('tenant')]), {
      minItems: 1,
      maxItems: 3,
      default: ['key'],
      description: 'Charge the quota per API key (default), consumer or tenant',
    }),
    onStoreError: OnStoreError('deny', 'When the data store fails: deny (default, quotas are money) or allow'),
  },
  { additionalProperties: false },
)

/** The `rate-limit` policy's config block. */
export const RateLimitSchema = Type.Object(
  {
    limits: Type.Array(LimitSchema, { default: [], maxItems: 10 }),
    mode: Type.Union([Type.Literal('reject'), Type.Literal('throttle')], {
      default: 'reject',
      description: 'reject: 429 at once. throttle: delay requests to the configured rate, up to maxDelay, then 429',
    }),
    maxDelay: Duration('throttle: longest a request may be held before it is refused', '1s'),
    concurrency: Type.Optional(ConcurrencySchema),
    quota: Type.Optional(QuotaSchema),
    onStoreError: OnStoreError('allow', 'When the state store fails: allow (default, fail open) or deny (503)'),
    headers: Type.Boolean({ default: true, description: 'Send RateLimit-Policy / RateLimit on every response of the route' }),
  },
  { additionalProperties: false },
)
export type RateLimitConfig = Static<typeof RateLimitSchema>
export type LimitConfig = Static<typeof LimitSchema>
