/**
 * Usage counting off the request path: `record()` only bumps an in-memory counter keyed by
 * key × consumer × route × status class × minute; a timer (or a full buffer) flushes the sums
 * to the store in one `recordUsage` batch. A failed flush puts its counts back, so an outage
 * delays numbers instead of losing them; `close()` flushes whatever is left.
 */
import { bucketStart, statusClassOf } from './usage-buckets.js'
import type { DataStore, UsageRow } from './types.js'

/** One finished request, as the proxy reports it. */
export interface UsageHit {
  keyId?: string | undefined
  consumerId?: string | undefined
  /** The route's name or pattern (never the raw path: unbounded cardinality). */
  route: string
  status: number
  /** When the request finished, epoch ms. */
  at: number
}

/** Options of {@link createUsageWriter}. */
export interface UsageWriterOptions {
  /** Flush at least this often (default 1000). */
  flushIntervalMs?: number
  /** Flush as soon as this many distinct counters are buffered (default 1000). */
  maxEntries?: number
  /**
   * Hard cap on buffered counters while the store is failing (default 100 000): beyond it new
   * counters are dropped (and counted in `dropped`) rather than growing memory without bound.
   */
  maxPendingEntries?: number
  /** Failures of background flushes (explicit `flush()`/`close()` reject instead). */
  onError?: (err: unknown) => void
}

/** The batching writer. */
export interface UsageWriter {
  /** Counts one request. Synchronous, O(1), never throws, never waits for the store. */
  record(hit: UsageHit): void
  /** Writes everything buffered so far; rejects if the store refuses (counts are kept for the next try). */
  flush(): Promise<void>
  /** Stops the timer and flushes the rest; later `record()` calls are dropped. */
  close(): Promise<void>
  /** Distinct counters waiting to be written. */
  readonly pending: number
  /** Requests not counted because the writer was closed or the buffer was at its cap. */
  readonly dropped: number
}

/** Creates a writer that batches usage into `store.recordUsage`. */
export function createUsageWriter(store: Pick<DataStore, 'recordUsage'>, options: UsageWriterOptions = {}): UsageWriter {
  const maxEntries = options.maxEntries ?? 1000
  const maxPending = Math.max(options.maxPendingEntries ?? 100_000, maxEntries)
  let buffer = new Map<string, UsageRow>()
  let dropped = 0
  let closed = false
  let running: Promise<void> | null = null
  let queued: Promise<void> | null = null

  function add(id: string, row: UsageRow): boolean {
    const existing = buffer.get(id)
    if (existing) {
      existing.count += row.count
      return true
    }
    if (buffer.size >= maxPending) return false
    buffer.set(id, row)
    return true
  }

  async function writeOnce(): Promise<void> {
    if (buffer.size === 0) return
    const batch = buffer
    buffer = new Map()
    try {
      await store.recordUsage([...batch.values()])
    } catch (err) {
      // Put the counts back (merging with anything recorded meanwhile) for the next flush.
      for (const [id, row] of batch) if (!add(id, row)) dropped += row.count
      throw err
    }
  }

  function start(): Promise<void> {
    running = writeOnce().finally(() => {
      running = null
    })
    return running
  }

  // At most one write in flight and one queued behind it: a slow store cannot pile up flushes.
  function flush(): Promise<void> {
    if (queued) return queued
    if (!running) return start()
    queued = running.catch(() => undefined).then(() => {
      queued = null
      return start()
    })
    return queued
  }

  function background(): void {
    flush().catch((err: unknown) => options.onError?.(err))
  }

  const timer = setInterval(background, options.flushIntervalMs ?? 1000)
  // The writer must never keep the process alive on its own.
  timer.unref()

  return {
    record(hit) {
      if (closed) {
        dropped++
        return
      }
      const keyId = hit.keyId ?? ''
      const consumerId = hit.consumerId ?? ''
      const statusClass = statusClassOf(hit.status)
      const minute = bucketStart(hit.at, 'minute')
      const id = `${keyId}\u0000${consumerId}\u0000${hit.route}\u0000${statusClass}\u0000${minute}`
      const row: UsageRow = { keyId: hit.keyId, consumerId: hit.consumerId, route: hit.route, statusClass, minute, count: 1 }
      if (!add(id, row)) {
        dropped++
        return
      }
      if (buffer.size >= maxEntries && !queued) background()
    },
    flush,
    async close() {
      closed = true
      clearInterval(timer)
      await flush()
    },
    get pending() {
      return buffer.size
    },
    get dropped() {
      return dropped
    },
  }
}
