/**
 * The hot-state seam (counters, buckets, nonces, bans, revocations): memory or Redis.
 * PLACEHOLDER shape owned by the state-store work; extend freely.
 */
export interface StateStore {
  /** `memory` or `redis`, for logs and metrics. */
  readonly kind: string
  /** Resolves when the store answers; rejects when it is down (readiness probe). */
  ping(): Promise<void>
  close(): Promise<void>
}
