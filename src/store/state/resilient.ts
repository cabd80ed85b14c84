/**
 * Circuit breaker around a state store. A dead Redis must not cost every request a timeout: after
 * `failureThreshold` consecutive failures the breaker opens and calls fail at once (no I/O) for
 * `openMs`; then one probe call is let through (half-open); success closes the breaker, failure
 * re-opens it. Callers see a single error type, StateStoreUnavailableError, and decide per policy
 * whether to allow or deny (`onStoreError`).
 */
import { StateStoreUnavailableError } from './errors.js'
import type { StateStore } from './types.js'

/** Breaker states: closed (healthy), open (failing fast), half-open (one probe in flight). */
export type BreakerState = 'closed' | 'open' | 'half-open'

/** Options of the breaker. */
export interface ResilientOptions {
  /** Consecutive failures that open the breaker (default 5). */
  failureThreshold?: number
  /** How long the breaker stays open before a probe (default 1000 ms). */
  openMs?: number
  /** Fails a call not settled within this (default: none; the Redis store has its own). */
  timeoutMs?: number
  /** Called on every state change, for metrics and log lines. Must not throw. */
  onStateChange?: (state: BreakerState, error?: Error) => void
  /** Clock (ms), injectable for tests. */
  now?: () => number
}

/** A state store with a breaker in front of it. */
export interface ResilientStateStore extends StateStore {
  /** True while the breaker is open or probing. */
  readonly degraded: boolean
  readonly breakerState: BreakerState
  /** The wrapped store. */
  readonly inner: StateStore
}

/** Wraps `inner` in a circuit breaker. `ping` bypasses the breaker (readiness sees the truth). */
export function createResilientStateStore(inner: StateStore, options: ResilientOptions = {}): ResilientStateStore {
  const threshold = options.failureThreshold ?? 5
  const openMs = options.openMs ?? 1000
  const clock = options.now ?? Date.now
  let state: BreakerState = 'closed'
  let failures = 0
  let openedAt = 0

  const change = (next: BreakerState, error?: Error): void => {
    if (state === next) return
    state = next
    try {
      options.onStateChange?.(next, error)
    } catch {
      // A broken listener must not turn a store hiccup into a crash.
    }
  }

  const withTimeout = <T>(promise: Promise<T>): Promise<T> => {
    const ms = options.timeoutMs
    if (ms === undefined) return promise
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`state store call timed out after ${ms} ms`)), ms)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    let probing = false
    if (state !== 'closed') {
      const waited = clock() - openedAt
      if (state === 'half-open' || waited < openMs) {
        throw new StateStoreUnavailableError('state store unavailable (circuit open)', Math.max(1, openMs - waited))
      }
      probing = true
      change('half-open')
    }
    try {
      const value = await withTimeout(run())
      failures = 0
      if (probing || state !== 'closed') change('closed')
      return value
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error))
      failures++
      if (probing || (state === 'closed' && failures >= threshold)) {
        openedAt = clock()
        change('open', err)
      }
      throw new StateStoreUnavailableError(`state store unavailable: ${err.message}`, openMs, err)
    }
  }

  return {
    kind: inner.kind,
    inner,
    get degraded() {
      return state !== 'closed'
    },
    get breakerState() {
      return state
    },
    ping: () => withTimeout(inner.ping()),
    close: () => inner.close(),
    consume: (checks, nowMs) => call(() => inner.consume(checks, nowMs)),
    setIfAbsent: (key, value, ttlMs) => call(() => inner.setIfAbsent(key, value, ttlMs)),
    get: (key) => call(() => inner.get(key)),
    set: (key, value, ttlMs) => call(() => inner.set(key, value, ttlMs)),
    delete: (key) => call(() => inner.delete(key)),
    increment: (key, by, ttlMs) => call(() => inner.increment(key, by, ttlMs)),
    acquire: (key, max, leaseTtlMs) => call(() => inner.acquire(key, max, leaseTtlMs)),
    release: (key, leaseId) => call(() => inner.release(key, leaseId)),
  }
}
