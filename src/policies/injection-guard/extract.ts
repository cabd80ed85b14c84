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
  /** True when the string is also inspected as a file name (see `namesFile`). */
  filename?: boolean
}

/** Values that need no inspection: strings the engine already found clean at the same address. */
export interface KnownValues {
  knows(source: Source, text: string, isKey: boolean): boolean
}

/** Headers that carry a file name for upload endpoints. */
const FILENAME_HEADERS = new Set(['x-filename', 'x_filename', 'x.filename', 'x-file-name'])

/** True when a field of this name holds a file name (`filename`, `upload.filename`). */
export function namesFile(name: string): boolean {
  return name === 'filename' || name.endsWith('.filename')
}

/** True when a value at this location is also inspected as a file name. */
function locatesFile(location: string): boolean {
  return location.endsWith('.filename') || (location.startsWith('header.') && FILENAME_HEADERS.has(location.slice(7)))
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
  /** The values to inspect: every value within the limits, less the known ones. */
  values: InspectedValue[]
  /** Every value within the limits, known ones included. */
  count: number
  limitHit: LimitKind | undefined
  inspectedBytes: number
}

/** Header selection: `'*'` in `include` means every header not in `skip`. */
export interface HeaderSelection {
  include: ReadonlySet<string>
  skip: ReadonlySet<string>
}

/**
 * Accumulates values within the limits; every parser adds through it. Values the `known` set
 * holds count against the limits but are not kept: on a busy API most strings repeat, and a
 * parser asks `skipKnown` before it even builds the location of a value.
 */
export class Collector {
  /** The values to inspect (without the known ones). */
  readonly values: InspectedValue[] = []
  /** Every value within the limits, known ones included. */
  count = 0
  limitHit: LimitKind | undefined
  bytes = 0
  readonly limits: ExtractLimits
  readonly #known: KnownValues | undefined

  constructor(limits: ExtractLimits, known?: KnownValues) {
    this.limits = limits
    this.#known = known
  }

  /** False once a limit is hit: callers stop walking. */
  get open(): boolean {
    return this.limitHit === undefined
  }

  /** Records a limit (the first one wins). */
  hit(kind: LimitKind): void {
    this.limitHit ??= kind
  }

  /** Counts a value against the limits; false (and the limit recorded) when it does not fit. */
  #fits(value: string): boolean {
    if (this.limitHit) return false
    if (this.count >= this.limits.maxValues) {
      this.hit('values')
      return false
    }
    if (this.bytes + value.length > this.limits.maxBytes) {
      this.hit('bytes')
      return false
    }
    this.count++
    this.bytes += value.length
    return true
  }

  /**
   * True when the value needs nothing more: empty, or known (then it is counted as `add` would
   * count it). False: the caller must `add` it. File names are never known: they feed a second
   * address the known set does not cover.
   */
  skipKnown(source: Source, value: string, isKey: boolean, filename: boolean): boolean {
    if (value.length === 0) return true
    if (filename || this.#known === undefined || !this.#known.knows(source, value, isKey)) return false
    this.#fits(value)
    return true
  }

  /** Adds one value; returns false (and records the limit) when it does not fit. */
  add(source: Source, location: string, value: string, isKey = false): boolean {
    if (this.limitHit) return false
    if (value.length === 0) return true
    const filename = !isKey && locatesFile(location)
    if (this.skipKnown(source, value, isKey, filename)) return this.open
    if (!this.#fits(value)) return false
    const inspected: InspectedValue = { source, location, value }
    if (isKey) inspected.isKey = true
    if (filename) inspected.filename = true
    this.values.push(inspected)
    return true
  }
}

/** Repeated names get an index so every location stays unique (`query.id`, `query.id[1]`). */
function pairLocation(prefix: string, name: string, count: number): string {
  return count > 0 ? `${prefix}.${name}[${count}]` : `${prefix}.${name}`
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
    const count = seen.get(name) ?? 0
    seen.set(name, count + 1)
    // Locations are built only for what is kept: most names and values are known.
    if (!collector.skipKnown(source, name, true, false)) collector.add(source, pairLocation(prefix, name, count), name, true)
    if (!collector.skipKnown(source, value, false, count === 0 && namesFile(name))) collector.add(source, pairLocation(prefix, name, count), value)
  }
}

/** Adds each decoded path segment as `path[i]` (segment 0 is the first after the leading `/`). */
function addPath(collector: Collector, rawPath: string): void {
  const segments = rawPath.split('/')
  let index = 0
  for (const segment of segments) {
    if (segment.length === 0) continue
    const decoded = percentDecode(segment)
    const at = index++
    if (!collector.skipKnown('path', decoded, false, false)) collector.add('path', `path[${at}]`, decoded)
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
    const decoded = percentDecode(value)
    if (!collector.skipKnown('cookie', name, true, false)) collector.add('cookie', `cookie.${name}`, name, true)
    if (!collector.skipKnown('cookie', decoded, false, namesFile(name))) collector.add('cookie', `cookie.${name}`, decoded)
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
export function extractRequest(parts: RequestParts, limits: ExtractLimits, headers: HeaderSelection, known?: KnownValues): Extraction {
  const collector = new Collector(limits, known)
  addPath(collector, parts.path)
  addUrlEncoded(collector, 'query', 'query', parts.rawQuery)
  const cookie = headerText(parts.headers['cookie'])
  if (cookie) addCookies(collector, cookie)
  const all = headers.include.has('*')
  // `for…in`, not Object.entries: no array per request (header objects have no enumerable inherited keys).
  for (const name in parts.headers) {
    if (!collector.open) break
    const raw = parts.headers[name]
    const lower = name.toLowerCase()
    // HTTP/2 pseudo-headers (:authority, :path, ...) repeat the request line, which is inspected
    // as path and query; as "headers" the gateway's own loopback authority would look like SSRF.
    if (lower.charCodeAt(0) === 58 /* : */ || headers.skip.has(lower) || (!all && !headers.include.has(lower))) continue
    const text = headerText(raw)
    if (text !== undefined && !collector.skipKnown('header', text, false, FILENAME_HEADERS.has(lower) || namesFile(lower))) {
      collector.add('header', `header.${lower}`, text)
    }
  }
  if (parts.body && parts.body.length > 0 && collector.open) {
    extractBody(collector, parts.body, headerText(parts.headers['content-type']) ?? '')
  }
  return { values: collector.values, count: collector.count, limitHit: collector.limitHit, inspectedBytes: collector.bytes }
}
