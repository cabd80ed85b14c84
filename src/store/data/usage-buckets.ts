/**
 * Usage bucketing shared by the usage writer and both adapters: which minute/hour/day a
 * request falls in, and the roll-up of a batch into one row per bucket.
 */
import type { StatusClass, UsageGranularity, UsageRow } from './types.js'

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** Bucket width in milliseconds (UTC: days are exactly 24 h, no time zones in storage). */
export const GRANULARITY_MS: Readonly<Record<UsageGranularity, number>> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS }

/** Start of the bucket containing `at` (epoch ms). */
export function bucketStart(at: number, granularity: UsageGranularity): number {
  const width = GRANULARITY_MS[granularity]
  return Math.floor(at / width) * width
}

/** Status classes by their index (1..5); index 0 is unused. */
const STATUS_CLASSES: readonly StatusClass[] = ['5xx', '1xx', '2xx', '3xx', '4xx', '5xx']

/** The class of an HTTP status as an index: 1..5 for 1xx..5xx; anything out of range counts as 5xx. */
export function statusIndexOf(status: number): number {
  const hundreds = Math.floor(status / 100)
  return hundreds >= 1 && hundreds <= 5 ? hundreds : 5
}

/** `2xx`-style class of an HTTP status; anything out of range counts as `5xx`. */
export function statusClassOf(status: number): StatusClass {
  return STATUS_CLASSES[statusIndexOf(status)]!
}

/** The index of a status class (the inverse of the two above). */
export function statusClassIndex(statusClass: StatusClass): number {
  return STATUS_CLASSES.indexOf(statusClass, 1)
}

/** One row to upsert: the bucket's identity plus the count to add. Absent ids are ''. */
export interface BucketRow {
  keyId: string
  consumerId: string
  route: string
  statusClass: StatusClass
  bucket: number
  count: number
}

/**
 * Sums a batch into one row per (key, consumer, route, status class, bucket) of the given
 * granularity, sorted by that identity. One row per identity matters for PostgreSQL (an upsert
 * may not touch the same row twice in one statement); the fixed order makes concurrent writers
 * lock rows in the same order, so two gateways flushing at once cannot deadlock.
 */
export function rollUp(batch: readonly UsageRow[], granularity: UsageGranularity): BucketRow[] {
  const rows = new Map<string, BucketRow>()
  for (const row of batch) {
    if (!(row.count > 0)) continue
    const bucket = bucketStart(row.minute, granularity)
    const keyId = row.keyId ?? ''
    const consumerId = row.consumerId ?? ''
    const id = `${keyId}\u0000${consumerId}\u0000${row.route}\u0000${row.statusClass}\u0000${bucket}`
    const existing = rows.get(id)
    if (existing) existing.count += row.count
    else rows.set(id, { keyId, consumerId, route: row.route, statusClass: row.statusClass, bucket, count: row.count })
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row)
}
