/**
 * Config accepts human strings ("30s", "1mb"); code only ever sees integer milliseconds and bytes.
 */
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 }

/** Parses `1500`, `"1500ms"`, `"30s"`, `"5m"`, `"1h"`, `"1d"` into integer milliseconds. */
export function parseDurationMs(value: number | string): number {
  return parseUnit(value, DURATION_UNITS, 'duration')
}

/** Parses `1024`, `"10kb"`, `"1mb"` (binary multiples) into integer bytes. */
export function parseSizeBytes(value: number | string): number {
  return parseUnit(value, SIZE_UNITS, 'size')
}

function parseUnit(value: number | string, units: Record<string, number>, kind: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`invalid ${kind}: ${value}`)
    return Math.round(value)
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = match?.[2]?.toLowerCase() || (kind === 'size' ? 'b' : 'ms')
  const factor = units[unit]
  if (!match || factor === undefined) throw new RangeError(`invalid ${kind}: ${JSON.stringify(value)}`)
  return Math.round(Number(match[1]) * factor)
}
