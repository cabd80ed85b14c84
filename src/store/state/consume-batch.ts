/**
 * Batches the Redis store's consume() calls: every call made in one event-loop turn goes out in
 * one EVALSHA of CONSUME_SCRIPT at the end of that turn. Under load this turns dozens of commands
 * (each a client Command, a socket write, a server read, a script call and a reply) into one;
 * idle, a lone call waits only for the end of the current turn. Each request stays
 * all-or-nothing and the script is atomic, so exactness is unchanged.
 */
import type { LimitCheck, LimitResult } from './types.js'

/** Options of the batcher. */
export interface ConsumeBatcherOptions {
  /** Prepended to every key. */
  keyPrefix: string
  /** Runs CONSUME_SCRIPT once with these KEYS and ARGV; resolves to its flat reply. */
  run: (keys: string[], args: (string | number)[]) => Promise<unknown>
  /**
   * Most limit checks per command (default 256); a bigger turn becomes several commands, so one
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

  const flush = (): void => {
    scheduled = false
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

  const send = (batch: Waiting[]): void => {
    const keys: string[] = []
    const specs: LimitCheck[] = []
    const requests: (string | number)[] = []
    for (const w of batch) {
      requests.push(w.nowMs === undefined ? '' : w.nowMs, w.checks.length)
      for (const c of w.checks) {
        keys.push(options.keyPrefix + c.key)
        requests.push(specNumber(specs, c))
      }
    }
    const args: (string | number)[] = [specs.length]
    for (const c of specs) args.push(c.algorithm, c.limit, c.windowMs, c.burst ?? c.limit, c.cost ?? 1, c.maxDelayMs ?? 0)
    for (const r of requests) args.push(r)
    options.run(keys, args).then(
      (reply) => answer(batch, reply as unknown[]),
      (error: unknown) => {
        for (const w of batch) w.reject(error)
      },
    )
  }

  return (checks, nowMs) => {
    if (checks.length === 0) return Promise.resolve([])
    return new Promise<LimitResult[]>((resolve, reject) => {
      waiting.push({ checks, nowMs, resolve, reject })
      if (!scheduled) {
        scheduled = true
        // After the I/O callbacks of this turn: every request read in it joins the batch.
        setImmediate(flush)
      }
    })
  }
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
    const results: LimitResult[] = []
    for (const c of w.checks) {
      results.push({
        allowed: reply[at] === 1,
        limit: c.limit,
        remaining: Number(reply[at + 1]),
        resetMs: Number(reply[at + 2]),
        retryAfterMs: Number(reply[at + 3]),
        delayMs: Number(reply[at + 4]),
      })
      at += 5
    }
    w.resolve(results)
  }
}
