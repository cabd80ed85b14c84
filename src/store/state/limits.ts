/**
 * The two rate-limit algorithms as pure functions over in-memory state, used by the memory store.
 * The Redis Lua script (`lua.ts`) implements the same arithmetic; the conformance suite holds the
 * two to identical answers.
 *
 * Both are split into `plan` (read-only) and `commit` so a multi-limit call can be all-or-nothing:
 * every limit is planned first, and only if all admit are they committed.
 */
import type { LimitCheck, LimitResult } from './types.js'

/** Float slack so `T * n` rounding never refuses a request that exactly fits. */
const EPSILON_MS = 1e-6

/** GCRA state: the theoretical arrival time of the next unit (ms). */
export interface GcraState {
  tat: number
}

/** Sliding-log state: admission times (ms), ascending, from `head` on. */
export interface SlidingLogState {
  times: number[]
  head: number
}

/** A planned decision plus what to write if the whole call is admitted. */
export interface LimitPlan {
  result: LimitResult
  /** The answer when another limit refuses the call, so nothing is consumed. */
  idle: LimitResult
  /** Writes the new state (with the TTL it needs); called only when the whole call is admitted. */
  commit: () => void
}

/** Normalised numbers of a check (defaults applied). */
function numbers(check: LimitCheck): { limit: number; windowMs: number; burst: number; cost: number; maxDelayMs: number } {
  return {
    limit: check.limit,
    windowMs: check.windowMs,
    burst: check.burst ?? check.limit,
    cost: check.cost ?? 1,
    maxDelayMs: check.maxDelayMs ?? 0,
  }
}

/**
 * Generic Cell Rate Algorithm: one unit every `windowMs / limit`, up to `burst` back-to-back.
 * Stores a single number per key, so memory is O(1) whatever the limit.
 */
export function planGcra(check: LimitCheck, state: GcraState | undefined, now: number, write: (s: GcraState, ttlMs: number) => void): LimitPlan {
  const { limit, windowMs, burst, cost, maxDelayMs } = numbers(check)
  const interval = windowMs / limit
  const capacity = interval * burst
  const tat = Math.max(state?.tat ?? now, now)
  const remainingNow = Math.max(0, Math.floor((capacity - (tat - now)) / interval + EPSILON_MS))
  if (cost > burst) {
    return refused(limit, remainingNow, tat - now, windowMs)
  }
  const newTat = tat + interval * cost
  const wait = Math.max(0, newTat - capacity - now)
  if (wait > maxDelayMs + EPSILON_MS) {
    return refused(limit, remainingNow, tat - now, wait - maxDelayMs)
  }
  const remaining = Math.max(0, Math.floor((capacity - (newTat - now)) / interval + EPSILON_MS))
  const ttlMs = ceilMs(newTat - now)
  return {
    result: { allowed: true, limit, remaining, resetMs: ttlMs, retryAfterMs: 0, delayMs: ceilMs(wait) },
    idle: { allowed: true, limit, remaining: remainingNow, resetMs: ceilMs(tat - now), retryAfterMs: 0, delayMs: 0 },
    commit: () => write({ tat: newTat }, ttlMs),
  }
}

/**
 * Exact sliding window (a log of admission times): never more than `limit` units in any window.
 * Memory is O(limit) per active key, the price of exactness; prefer GCRA for very large limits.
 */
export function planSlidingLog(check: LimitCheck, state: SlidingLogState | undefined, now: number, write: (s: SlidingLogState, ttlMs: number) => void): LimitPlan {
  const { limit, windowMs, cost, maxDelayMs } = numbers(check)
  const log = state ?? { times: [], head: 0 }
  trimLog(log, now - windowMs)
  const count = log.times.length - log.head
  const newest = count > 0 ? (log.times[log.times.length - 1] as number) : undefined
  const resetNow = newest === undefined ? 0 : newest + windowMs - now
  if (cost > limit) return refused(limit, Math.max(0, limit - count), resetNow, windowMs)
  let wait = 0
  if (count + cost > limit) {
    // The entry whose expiry frees enough room for this cost.
    const freeing = log.times[log.head + count + cost - limit - 1] as number
    wait = Math.max(0, freeing + windowMs - now)
  }
  if (wait > maxDelayMs + EPSILON_MS) {
    return refused(limit, Math.max(0, limit - count), resetNow, wait - maxDelayMs)
  }
  const at = now + wait
  const remaining = Math.max(0, limit - count - cost)
  const lastAfter = Math.max(at, newest ?? at)
  const ttlMs = ceilMs(lastAfter + windowMs - now)
  return {
    result: { allowed: true, limit, remaining, resetMs: ttlMs, retryAfterMs: 0, delayMs: ceilMs(wait) },
    idle: { allowed: true, limit, remaining: Math.max(0, limit - count), resetMs: ceilMs(Math.max(0, resetNow)), retryAfterMs: 0, delayMs: 0 },
    commit: () => {
      for (let i = 0; i < cost; i++) insertSorted(log, at)
      write(log, ttlMs)
    },
  }
}

function refused(limit: number, remaining: number, resetMs: number, retryAfterMs: number): LimitPlan {
  const result = { allowed: false, limit, remaining, resetMs: ceilMs(Math.max(0, resetMs)), retryAfterMs: Math.max(1, ceilMs(retryAfterMs)), delayMs: 0 }
  return {
    result,
    idle: result,
    commit: () => undefined,
  }
}

/** Whole milliseconds, rounded up (a client told "0 ms" would retry too early). */
function ceilMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - EPSILON_MS))
}

/** Drops entries at or before `cutoff`; compacts the array once half of it is dead. */
function trimLog(log: SlidingLogState, cutoff: number): void {
  while (log.head < log.times.length && (log.times[log.head] as number) <= cutoff) log.head++
  if (log.head > 32 && log.head * 2 > log.times.length) {
    log.times = log.times.slice(log.head)
    log.head = 0
  }
}

/** Delayed (throttled) entries may land after later ones; keep the log sorted. */
function insertSorted(log: SlidingLogState, at: number): void {
  const times = log.times
  let i = times.length
  while (i > log.head && (times[i - 1] as number) > at) i--
  times.splice(i, 0, at)
}
