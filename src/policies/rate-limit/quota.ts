/**
 * Calendar quotas (daily or monthly allowances, aligned to UTC), counted in the durable data
 * store so a restart does not reset them. A refused request is un-counted again, so the stored
 * total is the number of admitted requests (what usage reports and billing expect).
 */
import type { DataStore } from '../../store/data/types.js'

/** The one data-store operation quotas need (DataStore provides it). */
export type QuotaCounter = Pick<DataStore, 'incrementQuota'>

/** The UTC calendar period containing `nowMs`. */
export interface QuotaPeriod {
  startMs: number
  endMs: number
}

/** Start and end of the UTC day or month containing `nowMs`. */
export function quotaPeriod(period: 'day' | 'month', nowMs: number): QuotaPeriod {
  const d = new Date(nowMs)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  if (period === 'day') {
    const startMs = Date.UTC(y, m, d.getUTCDate())
    return { startMs, endMs: startMs + 86_400_000 }
  }
  return { startMs: Date.UTC(y, m, 1), endMs: Date.UTC(y, m + 1, 1) }
}

/** Outcome of charging a quota. */
export interface QuotaOutcome {
  allowed: boolean
  limit: number
  /** Units left in this period after this request (0 when refused). */
  remaining: number
  /** Milliseconds until the period ends (the quota resets). */
  resetMs: number
  /** Period length in ms (for the header's `w`). */
  periodMs: number
}

/**
 * Charges `cost` to `subject` for the current period; refuses (and un-charges) beyond `limit`.
 * Exact under concurrency: the data store's increment is atomic, and a total above the limit
 * means the period was already full before this request.
 */
export async function chargeQuota(
  counter: QuotaCounter,
  subject: string,
  limit: number,
  period: 'day' | 'month',
  nowMs: number,
  cost = 1,
): Promise<QuotaOutcome> {
  const { startMs, endMs } = quotaPeriod(period, nowMs)
  const total = await counter.incrementQuota(subject, startMs, cost)
  const base = { limit, resetMs: endMs - nowMs, periodMs: endMs - startMs }
  if (total <= limit) return { ...base, allowed: true, remaining: limit - total }
  await counter.incrementQuota(subject, startMs, -cost)
  return { ...base, allowed: false, remaining: 0 }
}
