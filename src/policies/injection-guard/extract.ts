/**
 * Turns a request into the bounded, flat list of strings a backend might interpret, each with
 * the location it came from (`query.q`, `path[2]`, `header.user-agent`, `cookie.session`,
 * `body.items[3].name`). Limits on depth, count and characters are enforced here, once, so the
 * engine never sees an unbounded payload; the first limit hit is reported, never silently ignored.
 */
import { percentDecode } from './normalize.js'
import { extractBody } from './extract-body.js'

/** Where a value came from; also selects the engine address it is fed to. */
export type Source = 'path' | 'query' | 'header' | 'cookie' | 'body'

/** One inspected string. */
export interface InspectedValue {
  source: Source
  /** Human-readable location, e.g. `body.items[3].name`. */
  location: string
  value: string
  /** True when the string is a parameter / object key rather than a value. */
  isKey?: boolean
}

/** The request fields the guard reads (all raw, as received). */
export interface RequestParts {
  method: string
  /** Raw path, still percent-encoded, without the query. */
  path: string
  /** Raw query string without `?`. */
  rawQuery: string
  headers: Readonly<Record<string, string | readonly string[] | undefined>>
  body?: Buffer | undefined
}

/** Extraction bounds. */
export interface ExtractLimits {
  maxDepth: number
  maxValues: number
  maxBytes: number
}

/** Which limit stopped extraction. */
export type LimitKind = 'depth' | 'values' | 'bytes'

/** What to inspect, and whether a limit cut it short. */
export interface Extraction {
  values: InspectedValue[]
  limitHit: LimitKind | undefined
  inspectedBytes: number
}

/** Header selection: `'*'` in `include` means every header not in `skip`. */
export interface HeaderSelection {
  include: ReadonlySet<string>
  skip: ReadonlySet<string>
}

/** Accumulates values within the limits; every parser adds through it. */
export class Collector {
  readonly values: InspectedValue[] = []
  limitHit: LimitKind | undefined
  bytes = 0
  readonly limits: ExtractLimits

  constructor(limits: ExtractLimits) {
    this.limits = limits
  }

  /** False once a limit is hit: callers stop walking. */
  get open(): boolean {
    return this.limitHit === undefined
  }

  /** Records a limit (the first one wins). */
  hit(kind: LimitKind): void {
    this.limitHit ??= kind
  }

  /** Adds one value; returns false (and records the limit) when it does not fit. */
  add(source: Source, location: string, value: string, isKey = false): boolean {
    if (this.limitHit) return false
    if (value.length === 0) return true
    if (this.values.length >= this.limits.maxValues) {
      this.hit('values')
      return false
    }
    if (this.bytes + value.length > this.limits.maxBytes) {
      this.hit('bytes')
      return false
    }
    this.bytes += value.length
    this.values.push(isKey ? { source, location, value, isKey } : { source, location, value })
    return true
  }
}

/** Adds `a=b&c=d` pairs (query or form) under `prefix` (`query` / `body`). */
export function addUrlEncoded(collector: Collector, source: Source, prefix: string, raw: string): void {
  if (raw.length === 0) return
  const seen = new Map<string, number>()
  for (const pair of raw.split('&')) {
    if (!collector.open) return
    if (pair.length === 0) continue
    const eq = pair.indexOf('=')
    const name = percentDecode(eq < 0 ? pair : pair.slice(0, eq), true)
    const value = eq < 0 ? '' : percentDecode(pair.slice(eq + 1), true)
    // Repeated names get an index so every location stays unique (`query.id`, `query.id[1]`).
    const count = seen.get(name) ?? 0
    seen.set(name, count + 1)
    const location = `${prefix}.${name}${count > 0 ? `[${count}]` : ''}`
    collector.add(source, location, name, true)
    collector.add(source, location, value)
  }
}

/** Adds each decoded path segment as `path[i]` (segment 0 is the first after the leading `/`). */
function addPath(collector: Collector, rawPath: string): void {
  const segments = rawPath.split('/')
  let index = 0
  for (const segment of segments) {
    if (segment.length === 0) continue
    collector.add('path', `path[${index++}]`, percentDecode(segment))
    if (!collector.open) return
  }
  // The whole decoded path too: traversal (`/a/../../etc/passwd`) spans segments.
  if (rawPath.length > 1) collector.add('path', 'path', percentDecode(rawPath))
}

/** Adds `name=value; name2=value2` cookie pairs as `cookie.<name>`. */
function addCookies(collector: Collector, header: string): void {
  for (const part of header.split(';')) {
    if (!collector.open) return
    const eq = part.indexOf('=')
    const name = (eq < 0 ? part : part.slice(0, eq)).trim()
    const value = eq < 0 ? '' : part.slice(eq + 1).trim()
    const location = `cookie.${name}`
    collector.add('cookie', location, name, true)
    collector.add('cookie', location, percentDecode(value))
  }
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : value.join(', ')
}

/**
 * Extracts everything the rules inspect. Order matters only for which values survive a limit:
 * path, query, cookies and headers (small, and always attacker-controlled) come before the body.
 */
export function extractRequest(parts: RequestParts, limits: ExtractLimits, headers: HeaderSelection): Extraction {
  const collector = new Collector(limits)
  addPath(collector, parts.path)
  addUrlEncoded(collector, 'query', 'query', parts.rawQuery)
  const cookie = headerText(parts.headers['cookie'])
  if (cookie) addCookies(collector, cookie)
  const all = headers.include.has('*')
  for (const [name, raw] of Object.entries(parts.headers)) {
    if (!collector.open) break
    const lower = name.toLowerCase()
    // HTTP/2 pseudo-headers (:authority, :path, ...) repeat the request line, which is inspected
    // as path and query; as "headers" the gateway's own loopback authority would look like SSRF.
    if (lower.charCodeAt(0) === 58 /* : */ || headers.skip.has(lower) || (!all && !headers.include.has(lower))) continue
    const text = headerText(raw)
    if (text !== undefined) collector.add('header', `header.${lower}`, text)
  }
  if (parts.body && parts.body.length > 0 && collector.open) {
    extractBody(collector, parts.body, headerText(parts.headers['content-type']) ?? '')
  }
  return { values: collector.values, limitHit: collector.limitHit, inspectedBytes: collector.bytes }
}
