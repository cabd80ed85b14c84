/**
 * Batches the Redis store's consume() calls into EVALSHAs of CONSUME_SCRIPT. While no batch is in
 * flight, the calls of one event-loop turn go out together at the end of that turn (idle, a lone
 * call waits only for the end of the current turn). While one is in flight, new calls wait for
 * its reply and then go out together: under load a batch gathers every call of a round trip, not
 * of one turn, so Redis and the gateway pay the per-command cost (a socket write and read on each
 * side, a script call) far less often. Each request stays all-or-nothing and the script is
 * atomic, so exactness is unchanged.
 */
import type { LimitCheck, LimitResult } from './types.js'

/** Options of the batcher. */
export interface ConsumeBatcherOptions {
  /** Prepended to every key. */
  keyPrefix: string
  /** Runs CONSUME_SCRIPT once with these KEYS and ARGV; resolves to its flat reply. */
  run: (keys: string[], args: (string | number)[]) => Promise<unknown>
  /**
   * Most limit checks per command (default 256); a bigger batch becomes several commands, so one
   * script never holds Redis for long.
   */
  maxChecksPerCommand?: number
}

/** One consume() call waiting for its batch. */
interface Waiting {
  checks: readonly LimitCheck[]
  nowMs: number | undefined
  resolve: (results: LimitResult[]) => void
  reject: (error: unknown) => void
}

/** Returns `consume`: queue a call, answered when its batch's reply arrives. */
export function createConsumeBatcher(options: ConsumeBatcherOptions): (checks: readonly LimitCheck[], nowMs?: number) => Promise<LimitResult[]> {
  const maxChecks = options.maxChecksPerCommand ?? 256
  let waiting: Waiting[] = []
  let scheduled = false
  /** Commands sent and not yet settled; new calls wait while there are any. */
  let inFlight = 0

  // After the I/O callbacks of this turn: every request read in it joins the batch.
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }

  const flush = (): void => {
    scheduled = false
    if (inFlight > 0 || waiting.length === 0) return
    const turn = waiting
    waiting = []
    let start = 0
    while (start < turn.length) {
      let end = start + 1
      let checks = (turn[start] as Waiting).checks.length
      while (end < turn.length && checks + (turn[end] as Waiting).checks.length <= maxChecks) checks += (turn[end++] as Waiting).checks.length
      send(start === 0 && end === turn.length ? turn : turn.slice(start, end))
      start = end
    }
  }

  const settled = (): void => {
    if (--inFlight === 0 && waiting.length > 0) schedule()
  }

  const send = (batch: Waiting[]): void => {
    const { keys, args } = encodeBatch(batch, options.keyPrefix)
    let pending: Promise<unknown>
    try {
      pending = options.run(keys, args)
    } catch (error) {
      // Must settle like any failure: an in-flight count that never drops would hold every call.
      pending = Promise.reject(error)
    }
    inFlight++
    pending.then(
      (reply) => {
        settled()
        answer(batch, reply as unknown[])
      },
      (error: unknown) => {
        settled()
        for (const w of batch) w.reject(error)
      },
    )
  }

  return (checks, nowMs) => {
    if (checks.length === 0) return Promise.resolve([])
    return new Promise<LimitResult[]>((resolve, reject) => {
      waiting.push({ checks, nowMs, resolve, reject })
      if (inFlight === 0) schedule()
    })
  }
}

/** KEYS and ARGV of one CONSUME_SCRIPT call (see the script for the layout). */
function encodeBatch(batch: readonly Waiting[], keyPrefix: string): { keys: string[]; args: (string | number)[] } {
  // Each distinct key is sent once: a busy client's requests share one key (and one GET and SET).
  const keys: string[] = []
  const keyNumbers = new Map<string, number>()
  const specs: LimitCheck[] = []
  const refs: number[] = [] // per check: spec number, key number
  for (const w of batch) {
    for (const c of w.checks) {
      let k = keyNumbers.get(c.key)
      if (k === undefined) {
        k = keys.push(keyPrefix + c.key)
        keyNumbers.set(c.key, k)
      }
      refs.push(specNumber(specs, c), k)
    }
  }
  const args: (string | number)[] = [specs.length]
  for (const c of specs) args.push(c.algorithm, c.limit, c.windowMs, c.burst ?? c.limit, c.cost ?? 1, c.maxDelayMs ?? 0)
  let r = 0
  for (const w of batch) {
    if (w.nowMs === undefined) args.push(w.checks.length)
    else args.push(-w.checks.length, w.nowMs)
    // One number per check for both references, now that the key count is known.
    for (let i = 0; i < w.checks.length; i++, r += 2) args.push(((refs[r] as number) - 1) * keys.length + (refs[r + 1] as number))
  }
  return { keys, args }
}

/**
 * The 1-based number of `check`'s spec (everything but the key) in `specs`, added if new. A batch
 * usually holds a handful of distinct specs (one per limit of the busy routes), so a short scan
 * finds it; past SPEC_SCAN entries a spec is simply sent again (correct, only longer).
 */
function specNumber(specs: LimitCheck[], check: LimitCheck): number {
  const burst = check.burst ?? check.limit
  const cost = check.cost ?? 1
  const maxDelayMs = check.maxDelayMs ?? 0
  const scan = Math.min(specs.length, SPEC_SCAN)
  for (let i = 0; i < scan; i++) {
    const s = specs[i] as LimitCheck
    if (s.algorithm === check.algorithm && s.limit === check.limit && s.windowMs === check.windowMs && (s.burst ?? s.limit) === burst && (s.cost ?? 1) === cost && (s.maxDelayMs ?? 0) === maxDelayMs) return i + 1
  }
  specs.push(check)
  return specs.length
}
const SPEC_SCAN = 16

/** Hands each waiting call its part of the flat reply (see CONSUME_SCRIPT for the layout). */
function answer(batch: readonly Waiting[], reply: unknown[]): void {
  let at = 0
  for (const w of batch) {
    if (reply[at] !== 1) {
      w.reject(new Error(`rate-limit script failed: ${String(reply[at + 1])}`))
      at += 2
      continue
    }
    at++
    // Lua numbers come back as RESP integers, which the client decodes to numbers.
    const results: LimitResult[] = []
    for (const c of w.checks) {
      results.push({
        allowed: reply[at] === 1,
        limit: c.limit,
        remaining: reply[at + 1] as number,
        resetMs: reply[at + 2] as number,
        retryAfterMs: reply[at + 3] as number,
        delayMs: reply[at + 4] as number,
      })
      at += 5
    }
    w.resolve(results)
  }
}
