/**
 * In-process state store: exact within one process (JavaScript runs each operation to completion,
 * so every call is atomic), bounded in memory, and forgotten on restart. The default for a single
 * gateway; several processes need the Redis store to share limits.
 */
import { randomBytes } from 'node:crypto'
import { planGcra, planSlidingLog, type GcraState, type LimitPlan, type SlidingLogState } from './limits.js'
import type { LimitCheck, LimitResult, StateStore } from './types.js'

/** Options of the memory store. */
export interface MemoryStateStoreOptions {
  /**
   * Most keys held at once. Beyond it the oldest-inserted key is evicted, which fails open for
   * limits (a fresh bucket) and for nonces (a forgotten nonce): size it above the live key count.
   * Default 1,000,000.
   */
  maxEntries?: number
  /** How often expired keys are swept (default 10 s); lookups also ignore expired keys. */
  sweepIntervalMs?: number
  /** The clock (ms since epoch); tests inject a fake one. Default `Date.now`. */
  now?: () => number
}

interface Entry {
  value: unknown
  /** Absolute expiry in ms; Infinity for none. */
  expiresAt: number
}

/** Creates a memory store. Call `close()` to stop its sweep timer. */
export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): StateStore & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 1_000_000
  const clock = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  // Lease ids only need to be unique per store; a random prefix keeps them unguessable.
  const leasePrefix = randomBytes(6).toString('base64url')
  let leaseSeq = 0
  let closed = false

  const sweep = (): void => {
    const now = clock()
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
  }
  const timer = setInterval(sweep, options.sweepIntervalMs ?? 10_000)
  timer.unref()

  const read = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      entries.delete(key)
      return undefined
    }
    return entry
  }
  const write = (key: string, value: unknown, expiresAt: number): void => {
    if (!entries.has(key) && entries.size >= maxEntries) {
      sweep()
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value
        if (oldest !== undefined) entries.delete(oldest)
      }
    }
    entries.set(key, { value, expiresAt })
  }
  const assertOpen = (): void => {
    if (closed) throw new Error('state store is closed')
  }
  // JavaScript runs this to completion, so the plan-then-commit of all limits is atomic.
  const consumeSync = (checks: readonly LimitCheck[], nowMs?: number): LimitResult[] => {
    assertOpen()
    const now = nowMs ?? clock()
    if (checks.length === 1) return [consumeOne(checks[0] as LimitCheck, now)]
    const plans: LimitPlan[] = checks.map((check) => plan(check, now))
    const admitted = plans.every((p) => p.result.allowed)
    if (!admitted) return plans.map((p) => p.idle)
    for (const p of plans) p.commit()
    return plans.map((p) => p.result)
  }
  const plan = (check: LimitCheck, now: number): LimitPlan => {
    const current = read(check.key, now)?.value
    const save = (state: unknown, ttlMs: number): void => write(check.key, state, now + ttlMs)
    return check.algorithm === 'gcra'
      ? planGcra(check, current as GcraState | undefined, now, save)
      : planSlidingLog(check, current as SlidingLogState | undefined, now, save)
  }
  // One limit (the usual route): its own verdict is the call's, so commit as soon as it admits.
  const consumeOne = (check: LimitCheck, now: number): LimitResult => {
    const p = plan(check, now)
    if (p.result.allowed) p.commit()
    return p.result
  }

  return {
    kind: 'memory',
    get size() {
      return entries.size
    },
    async ping() {
      assertOpen()
    },
    async close() {
      closed = true
      clearInterval(timer)
      entries.clear()
    },

    consumeSync,
    async consume(checks: readonly LimitCheck[], nowMs?: number): Promise<LimitResult[]> {
      return consumeSync(checks, nowMs)
    },

    async setIfAbsent(key, value, ttlMs) {
      assertOpen()
      const now = clock()
      if (read(key, now) !== undefined) return false
      write(key, value, now + ttlMs)
      return true
    },
    async get(key) {
      assertOpen()
      const entry = read(key, clock())
      return entry === undefined ? null : String(entry.value)
    },
    async set(key, value, ttlMs) {
      assertOpen()
      write(key, value, ttlMs === undefined ? Infinity : clock() + ttlMs)
    },
    async delete(key) {
      assertOpen()
      entries.delete(key)
    },
    async increment(key, by, ttlMs) {
      assertOpen()
      const now = clock()
      const entry = read(key, now)
      if (entry === undefined) {
        write(key, by, now + ttlMs)
        return by
      }
      entry.value = Number(entry.value) + by
      return entry.value as number
    },

    async acquire(key, max, leaseTtlMs) {
      assertOpen()
      const now = clock()
      const entry = read(key, now)
      const leases = (entry?.value as Map<string, number> | undefined) ?? new Map<string, number>()
      for (const [id, expiresAt] of leases) if (expiresAt <= now) leases.delete(id)
      if (leases.size >= max) return null
      const id = `${leasePrefix}.${++leaseSeq}`
      leases.set(id, now + leaseTtlMs)
      let latest = 0
      for (const expiresAt of leases.values()) latest = Math.max(latest, expiresAt)
      write(key, leases, latest)
      return id
    },
    async release(key, leaseId) {
      assertOpen()
      const entry = read(key, clock())
      const leases = entry?.value as Map<string, number> | undefined
      if (leases === undefined) return
      leases.delete(leaseId)
      if (leases.size === 0) entries.delete(key)
    },
  }
}
