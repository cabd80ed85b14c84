/**
 * Reporting for benchmarks whose rows each have their own baseline and goal (the policy-cost
 * benchmark): averages rounds, computes the ratio to the row's baseline, and marks a row invalid
 * when any request failed or was not 2xx — a fast 401 must never pass for a cheap policy.
 */
import type { LoadResult } from './load.js'

/** A row's goal: `cost` = throughput lost vs the baseline at most `pct`; `ratio` = at least `pct` of it. */
export type Goal = { kind: 'cost'; pct: number } | { kind: 'ratio'; pct: number }

/** One averaged row. */
export interface ComparedRow {
  name: string
  rps: number
  p50Ms: number
  p99Ms: number
  errors: number
  non2xx: number
  total: number
  /** Target process CPU (user + system) per completed request, when measurable. */
  cpuUsPerRequest?: number
  baseline?: string
  goal?: Goal
  /**
   * The row's req/s as a percentage of its baseline's, measured side by side (the median of the
   * per-pair ratios), with the spread of those ratios (`min`/`max`: e.g. their 10th and 90th
   * percentiles). Replaces the ratio of the averages when present.
   */
  paired?: { ratio: number; min: number; max: number }
  /** Median of the per-pair ratios of CPU per request, as a percentage of the baseline's. */
  pairedCpuRatio?: number
}

/** Averages rps and latencies over rounds; sums errors, non-2xx and request counts. */
export function averageRuns(name: string, runs: readonly LoadResult[], extra: Pick<ComparedRow, 'baseline' | 'goal' | 'cpuUsPerRequest' | 'paired' | 'pairedCpuRatio'> = {}): ComparedRow {
  const avg = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
  return {
    name,
    rps: avg(runs.map((r) => r.rps)),
    p50Ms: avg(runs.map((r) => r.p50Ms)),
    p99Ms: avg(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    total: runs.reduce((n, r) => n + (r.total ?? 0), 0),
    ...extra,
  }
}

/** Whether the row's numbers can be trusted at all (every request answered 2xx). */
export function isValidRow(row: ComparedRow): boolean {
  return row.errors === 0 && row.non2xx === 0
}

function goalText(goal: Goal | undefined): string {
  if (!goal) return ''
  return goal.kind === 'cost' ? `cost ≤ ${goal.pct}%` : `≥ ${goal.pct}% of baseline`
}

function verdict(row: ComparedRow, ratio: number | undefined): string {
  if (!isValidRow(row)) return '**INVALID** (errors/non-2xx)'
  if (!row.goal || ratio === undefined) return ''
  const ok = row.goal.kind === 'cost' ? 100 - ratio <= row.goal.pct : ratio >= row.goal.pct
  return ok ? 'met' : 'missed'
}

/** The markdown table: each row against its own baseline row (by name). */
export function comparisonTable(rows: readonly ComparedRow[]): string {
  const byName = new Map(rows.map((r) => [r.name, r]))
  const lines = rows.map((r) => {
    const base = r.baseline ? byName.get(r.baseline) : undefined
    const ratio = r.paired?.ratio ?? (base && base.rps > 0 ? (r.rps / base.rps) * 100 : undefined)
    const cpuRatio = r.pairedCpuRatio ?? (base?.cpuUsPerRequest && r.cpuUsPerRequest ? (r.cpuUsPerRequest / base.cpuUsPerRequest) * 100 : undefined)
    const range = r.paired ? ` (${r.paired.min.toFixed(0)}–${r.paired.max.toFixed(0)})` : ''
    const cells = [
      r.name,
      r.rps.toFixed(0),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.baseline ?? '—',
      ratio === undefined ? '' : `${ratio.toFixed(1)}%${range}`,
      ratio === undefined ? '' : `${(100 - ratio).toFixed(1)}%`,
      goalText(r.goal),
      verdict(r, ratio),
      `${r.errors}/${r.non2xx}`,
      r.cpuUsPerRequest === undefined ? '' : r.cpuUsPerRequest.toFixed(0),
      cpuRatio === undefined ? '' : `${cpuRatio.toFixed(0)}%`,
    ]
    return `| ${cells.join(' | ')} |`
  })
  return [
    '| target | req/s | p50 ms | p99 ms | baseline | req/s vs baseline | cost | goal | verdict | errors/non-2xx | gateway CPU µs/req | CPU vs baseline |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
  ].join('\n')
}

/** Warnings for rows whose figures are void because some requests failed or were refused. */
export function invalidRowWarnings(rows: readonly ComparedRow[]): string[] {
  return rows
    .filter((r) => !isValidRow(r))
    .map((r) => `WARNING: "${r.name}" had ${r.errors} errors and ${r.non2xx} non-2xx responses — its row is INVALID (it measured refusals, not the policy).`)
}
