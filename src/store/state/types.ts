/**
 * The hot-state seam: rate-limit buckets, replay nonces, bans, revocations, brute-force counters
 * and concurrency leases. Two adapters (memory, Redis) pass one conformance suite
 * (`conformance.ts`). Every operation is atomic in the store; the Redis adapter runs each one as a
 * single Lua script on the server's clock so several gateway processes agree on time.
 */

/** Rate-limit algorithms a store implements. */
export type LimitAlgorithm = 'gcra' | 'sliding-window'

/** One limit to check (and consume from) inside an atomic `consume` call. */
export interface LimitCheck {
  /** Store key of this limit's state (the caller namespaces and bounds it). */
  key: string
  algorithm: LimitAlgorithm
  /** Units allowed per window. */
  limit: number
  windowMs: number
  /**
   * GCRA only: how many units may pass back-to-back from a full bucket (default `limit`).
   * Ignored by the sliding window, which always allows `limit` per window.
   */
  burst?: number | undefined
  /** Units this request costs (default 1). */
  cost?: number | undefined
  /**
   * Throttling: a request that would be admitted within this many milliseconds is admitted now
   * with `delayMs` set (the caller waits), instead of being refused. Default 0 (reject mode).
   */
  maxDelayMs?: number | undefined
}

/** The verdict of one limit inside a `consume` call. */
export interface LimitResult {
  /** True when this limit alone would admit the request. The call admits only if all do. */
  allowed: boolean
  limit: number
  /** Units left after this call (after consumption when the whole call was admitted). */
  remaining: number
  /** Milliseconds until this limit is back at its full allowance. */
  resetMs: number
  /** Milliseconds until a refused request of the same cost could be admitted (0 when allowed). */
  retryAfterMs: number
  /** Milliseconds the caller should hold an admitted request (throttle mode; else 0). */
  delayMs: number
}

/** The hot-state store shared by every policy that needs atomic, expiring state. */
export interface StateStore {
  /** `memory` or `redis`, for logs and metrics. */
  readonly kind: string
  /** Resolves when the store answers; rejects when it is down (readiness probe). */
  ping(): Promise<void>
  close(): Promise<void>

  /**
   * Atomic multi-limit check-and-consume: either every listed limit admits the request and all
   * are consumed, or none is. One round trip on Redis, shared by the calls batched with it
   * (`consume-batch.ts`). `nowMs` overrides the store clock (tests,
   * simulations); without it the store's own clock is used (Redis `TIME`).
   */
  consume(checks: readonly LimitCheck[], nowMs?: number): Promise<LimitResult[]>
  /**
   * In-process stores only: `consume` answered at once, without a promise (same semantics, and
   * it throws where `consume` would reject). Absent on stores that need I/O; callers check.
   */
  consumeSync?(checks: readonly LimitCheck[], nowMs?: number): LimitResult[]

  /** Sets `key` only if it does not exist (replay nonces). True when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /** The value, or null when absent or expired. */
  get(key: string): Promise<string | null>
  /** Sets `key`; `ttlMs` undefined keeps it until deleted. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  delete(key: string): Promise<void>
  /**
   * Adds `by` to a counter and returns the new total. The TTL starts at the first increment
   * (a fixed window), so repeated calls do not keep the counter alive forever.
   */
  increment(key: string, by: number, ttlMs: number): Promise<number>

  /**
   * Takes one of `max` concurrency slots under `key`. Returns a lease id to pass to `release`, or
   * null when all slots are taken. A lease not released within `leaseTtlMs` frees itself, so a
   * crashed process cannot leak slots forever.
   */
  acquire(key: string, max: number, leaseTtlMs: number): Promise<string | null>
  /** Frees a lease taken by `acquire` (unknown or expired leases are ignored). */
  release(key: string, leaseId: string): Promise<void>
}
