/**
 * IETF httpapi RateLimit header fields, draft-ietf-httpapi-ratelimit-headers-10 syntax: both are
 * Structured Field Lists of named policies.
 *   RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400
 *   RateLimit: "burst";r=42;t=17
 * `q` quota units, `w` window seconds, `r` remaining units, `t` seconds until more quota.
 */

/** One policy's numbers, as the gateway knows them after a check. */
export interface RateLimitHeaderItem {
  /** Policy name; validated by the schema to safe ASCII, escaped here anyway. */
  name: string
  quota: number
  windowSeconds: number
  remaining: number
  /** Seconds until quota returns (`t`); omitted when undefined. */
  resetSeconds?: number | undefined
}

/** Serialises a name as an RFC 8941 sf-string (backslash-escapes `\` and `"`). */
export function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** One `RateLimit-Policy` list member: fixed per limit, so the handler builds it once per route. */
export function formatPolicyItem(name: string, quota: number, windowSeconds: number): string {
  return `${sfString(name)};q=${int(quota)};w=${Math.max(1, int(windowSeconds))}`
}

/**
 * The fixed start of one `RateLimit` list member (`"name";r=`), built once per limit; the
 * per-request part is `formatRateItemNumbers`.
 */
export function rateItemPrefix(name: string): string {
  return `${sfString(name)};r=`
}

/** The per-request end of a `RateLimit` list member, after `rateItemPrefix`: `42;t=17`. */
export function formatRateItemNumbers(remaining: number, resetSeconds: number | undefined): string {
  return resetSeconds === undefined ? `${int(remaining)}` : `${int(remaining)};t=${int(resetSeconds)}`
}

/** `RateLimit-Policy` field value. */
export function formatRateLimitPolicy(items: readonly RateLimitHeaderItem[]): string {
  return items.map((i) => formatPolicyItem(i.name, i.quota, i.windowSeconds)).join(', ')
}

/** `RateLimit` field value. */
export function formatRateLimit(items: readonly RateLimitHeaderItem[]): string {
  return items.map((i) => rateItemPrefix(i.name) + formatRateItemNumbers(i.remaining, i.resetSeconds)).join(', ')
}

/** Whole seconds for headers: never earlier than the truth (ceil), never negative. */
export function toSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000))
}

/** SF Integers are non-negative here and at most 15 digits. */
function int(n: number): number {
  return Math.min(999_999_999_999_999, Math.max(0, Math.floor(n)))
}
