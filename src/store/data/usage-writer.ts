/**
 * Usage counting off the request path: `record()` only bumps an in-memory counter keyed by
 * key × consumer × route × status class × minute; a timer (or a full buffer) flushes the sums
 * to the store in one `recordUsage` batch. A failed flush puts its counts back, so an outage
 * delays numbers instead of losing them; `close()` flushes whatever is left.
 */
import { bucketStart, statusClassIndex, statusClassOf, statusIndexOf } from './usage-buckets.js'
import type { DataStore, UsageRow } from './types.js'

/**
 * Where buffered rows are found without building a string per request: route → consumer id →
 * key id → minute → status class (1..5, as `Math.floor(status / 100)`) → row. The ids come from
 * config and cached principals, the same string objects request after request, so each Map
 * lookup reuses the string's cached hash.
 */
type RowIndex = Map<string, Map<string, Map<string, Map<number, (UsageRow | undefined)[]>>>>

function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) map.set(key, (value = make()))
  return value
}

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
  // The buffer: rows in first-seen order (the batch a flush writes) and the index that finds them.
  let rows: UsageRow[] = []
  let index: RowIndex = new Map()
  let dropped = 0
  let closed = false
  let running: Promise<void> | null = null
  let queued: Promise<void> | null = null

  /** The counter of this identity, created (if the cap allows) from `make`; undefined when full. */
  function counter(keyId: string | undefined, consumerId: string | undefined, route: string, statusIndex: number, minute: number, make: () => UsageRow): UsageRow | undefined {
    const existing = index.get(route)?.get(consumerId ?? '')?.get(keyId ?? '')?.get(minute)?.[statusIndex]
    if (existing !== undefined) return existing
    // Checked before any index level is created: at the cap, dropped hits leave no trace.
    if (rows.length >= maxPending) return undefined
    const byConsumer = child(index, route, () => new Map())
    const byKey = child(byConsumer, consumerId ?? '', () => new Map())
    const byMinute = child(byKey, keyId ?? '', () => new Map())
    const byClass = child(byMinute, minute, () => new Array<UsageRow | undefined>(6))
    const row = make()
    rows.push(row)
    byClass[statusIndex] = row
    return row
  }

  /** Merges a row (a failed batch's) into the buffer; false when the cap leaves no room. */
  function add(row: UsageRow): boolean {
    const target = counter(row.keyId, row.consumerId, row.route, statusClassIndex(row.statusClass), row.minute, () => ({ ...row, count: 0 }))
    if (target === undefined) return false
    target.count += row.count
    return true
  }

  async function writeOnce(): Promise<void> {
    if (rows.length === 0) return
    const batch = rows
    rows = []
    index = new Map()
    try {
      await store.recordUsage(batch)
    } catch (err) {
      // Put the counts back (merging with anything recorded meanwhile) for the next flush.
      for (const row of batch) if (!add(row)) dropped += row.count
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
      const statusIndex = statusIndexOf(hit.status)
      const minute = bucketStart(hit.at, 'minute')
      const row = counter(hit.keyId, hit.consumerId, hit.route, statusIndex, minute, () => ({
        keyId: hit.keyId,
        consumerId: hit.consumerId,
        route: hit.route,
        statusClass: statusClassOf(hit.status),
        minute,
        count: 0,
      }))
      if (row === undefined) {
        dropped++
        return
      }
      row.count++
      if (rows.length >= maxEntries && !queued) background()
    },
    flush,
    async close() {
      closed = true
      clearInterval(timer)
      await flush()
    },
    get pending() {
      return rows.length
    },
    get dropped() {
      return dropped
    },
  }
}
