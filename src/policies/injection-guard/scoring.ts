/**
 * OWASP CRS-style anomaly scoring: each matching rule adds points by severity and the request is
 * rejected once the total reaches the threshold. With the default threshold of 5 one critical
 * rule blocks, while weaker signals (warnings, notices) must coincide.
 */
import type { Severity } from './rule-types.js'

/** Points per severity, as in OWASP CRS. */
export const SEVERITY_SCORES: Readonly<Record<Severity, number>> = { critical: 5, error: 4, warning: 3, notice: 2 }

/** The sum of the severities' points; each rule counts once per request. */
export function anomalyScore(severities: Iterable<Severity>): number {
  let total = 0
  for (const severity of severities) total += SEVERITY_SCORES[severity]
  return total
}

/** True when the score reaches the threshold. */
export function isOverThreshold(score: number, threshold: number): boolean {
  return score >= threshold
}
