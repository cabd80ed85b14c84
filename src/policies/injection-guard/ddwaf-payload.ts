/**
 * Lays inspected values out as libddwaf input and maps a match's key path back to its value.
 *
 * Values go in as plain string arrays, one per address: the native binding converts an array
 * about twice as fast as an index-keyed map, and conversion is a large share of a small request's
 * cost. Identical short strings at one address are sent once (keys repeat in arrays of objects); a
 * match resolves to the first occurrence, and an exclusion re-check then finds the others.
 * libddwaf inspects at most 256 entries of one container and the first 4096 bytes (of UTF-8, not
 * characters) of one string, so big arrays are split into chunks and long strings into overlapping
 * windows: nothing is skipped.
 */
import type { InspectedValue, Source } from './extract.js'
import type { RuleTarget } from './rule-types.js'
import { mayBeMarkup } from './markup-gate.js'

/** libddwaf silently cuts strings after this many bytes of UTF-8 (measured: bytes, not characters). */
const WINDOW_BYTES = 4096
/** Consecutive windows share this many code units, so a payload this long cannot straddle a cut unseen. */
const WINDOW_OVERLAP = 512
/** A string of at most this many UTF-16 code units has at most 4096 bytes of UTF-8 (3 per unit at most). */
const ALWAYS_FITS = Math.floor(WINDOW_BYTES / 3)
/** libddwaf inspects at most 256 entries of one container. */
const CHUNK_SIZE = 250

/** The libddwaf address each rule target reads. */
export const ADDRESSES: Readonly<Record<RuleTarget, string>> = {
  path: 'server.request.path_params',
  query: 'server.request.query',
  cookie: 'server.request.cookies',
  body: 'server.request.body',
  headers: 'server.request.headers.no_cookies',
  keys: 'portcullis.request.keys',
  filenames: 'portcullis.request.filenames',
}
/**
 * Where the XSS rule (libinjection's `is_xss`) reads: only the values it could flag — holding `<`,
 * or a dangerous attribute name given a value with `=` (see markup-gate.ts). Prose rarely does, and
 * on prose the XSS scan is the larger part of libinjection's time.
 */
export const MARKUP_ADDRESSES: Readonly<Record<RuleTarget, string>> = {
  path: 'portcullis.markup.path',
  query: 'portcullis.markup.query',
  cookie: 'portcullis.markup.cookies',
  body: 'portcullis.markup.body',
  headers: 'portcullis.markup.headers',
  keys: 'portcullis.markup.keys',
  filenames: 'portcullis.markup.filenames',
}

/**
 * Where the gated screens of one transformer chain read (see screen-rules.ts): only the values
 * holding a string on which one of the chain's transformers may act.
 */
export function gatedAddresses(chain: number): Readonly<Record<RuleTarget, string>> {
  const out = {} as Record<RuleTarget, string>
  for (const target of Object.keys(ADDRESSES) as RuleTarget[]) out[target] = `portcullis.gated${chain}.${target}`
  return out
}

/** Values holding one of `gates` go again to `addresses`. */
export interface GateGroup {
  gates: readonly string[]
  addresses: Readonly<Record<RuleTarget, string>>
}

/**
 * A test for "holds any gate string of any group": one scan of a value instead of one per gate
 * (most values hold none). An alternation of literals: linear, nothing to backtrack into.
 */
export function anyGateTest(groups: readonly GateGroup[]): RegExp | undefined {
  const gates = [...new Set(groups.flatMap((g) => g.gates))]
  return gates.length === 0 ? undefined : new RegExp(gates.map((g) => g.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&').replace(/\0/g, '\\0')).join('|'))
}

const SOURCE_TARGET: Readonly<Record<Source, RuleTarget>> = { path: 'path', query: 'query', cookie: 'cookie', body: 'body', header: 'headers' }
/** One address's entries while the payload is built. */
interface AddressEntries {
  texts: string[]
  /** Entry index → index of the inspected value it came from. */
  owners: number[]
  /** Short strings already present (see DEDUPLICATED_CHARS). */
  seen: Set<string>
}

/**
 * Only strings up to this long are sent once per address: repeats are keys, ids and enumerations,
 * while long free text almost never repeats, and hashing it for the check costs more than it saves.
 */
const DEDUPLICATED_CHARS = 128

/** A payload ready for `context.run`, with the map back from entries to values. */
export interface DdwafPayload {
  data: Record<string, unknown>
  owners: ReadonlyMap<string, readonly number[]>
}

/** Bytes of UTF-8 for the code unit at `i` (a surrogate pair counts 4 at its first unit, 0 at its second). */
function utf8Bytes(text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (c < 0x80) return 1
  if (c < 0x800) return 2
  if ((c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) return 4
  if ((c & 0xfc00) === 0xdc00 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800) return 0
  // The rest of the BMP, and lone surrogates (converted to U+FFFD).
  return 3
}

/** True when libddwaf reads the text whole: no windows (and no array of spans) needed. */
export function fitsOneWindow(text: string): boolean {
  return text.length <= ALWAYS_FITS || Buffer.byteLength(text, 'utf8') <= WINDOW_BYTES
}

/**
 * Where to cut the text into strings libddwaf reads whole, as [start, end) code-unit spans: the
 * whole text when it fits in WINDOW_BYTES, else windows of at most that many bytes, each starting
 * WINDOW_OVERLAP code units before the previous one ended (and never inside a surrogate pair).
 */
export function windowSpans(text: string): [number, number][] {
  if (fitsOneWindow(text)) return [[0, text.length]]
  const bytes = Buffer.byteLength(text, 'utf8')
  const spans: [number, number][] = []
  if (bytes === text.length) {
    // ASCII: a byte per unit.
    for (let start = 0; ; start += WINDOW_BYTES - WINDOW_OVERLAP) {
      const end = Math.min(start + WINDOW_BYTES, text.length)
      spans.push([start, end])
      if (end === text.length) return spans
    }
  }
  for (let start = 0; ; ) {
    let end = start
    for (let used = 0; end < text.length; end++) {
      used += utf8Bytes(text, end)
      if (used > WINDOW_BYTES) break
    }
    // Never end between the halves of a pair (its 4 bytes are counted at the first half).
    if (end < text.length && utf8Bytes(text, end) === 0) end--
    spans.push([start, end])
    if (end >= text.length) return spans
    // A window holds at least ALWAYS_FITS units, more than the overlap: every step moves forward.
    start = end - WINDOW_OVERLAP
    if (utf8Bytes(text, start) === 0) start--
  }
}

function push(entries: AddressEntries, text: string, owner: number): void {
  if (fitsOneWindow(text)) {
    if (text.length <= DEDUPLICATED_CHARS) {
      if (entries.seen.has(text)) return
      entries.seen.add(text)
    }
    entries.texts.push(text)
    entries.owners.push(owner)
    return
  }
  for (const [start, end] of windowSpans(text)) {
    entries.texts.push(text.slice(start, end))
    entries.owners.push(owner)
  }
}

/** What a payload holds besides each value at its target's address. */
export interface PayloadLayout {
  /** The values that could be markup, again at `MARKUP_ADDRESSES`. */
  markup?: boolean
  /** For each group, the values holding one of its gate strings, again at its addresses. */
  gated?: readonly GateGroup[]
  /** `anyGateTest(gated)`, built once by the caller (else per payload). */
  anyGate?: RegExp | undefined
}

/**
 * Builds `{ address: [text, ...] }` (chunked as `[[...], [...]]` past 250 entries), each value at
 * its target's address, plus the copies `layout` asks for.
 */
export function buildPayload(values: readonly InspectedValue[], layout: PayloadLayout = {}): DdwafPayload {
  const markup = layout.markup === true
  const gated = layout.gated ?? []
  const anyGate = layout.anyGate ?? anyGateTest(gated)
  const byAddress = new Map<string, AddressEntries>()
  const entriesOf = (target: RuleTarget, addresses: Readonly<Record<RuleTarget, string>> = ADDRESSES): AddressEntries => {
    const address = addresses[target]
    let entries = byAddress.get(address)
    if (!entries) byAddress.set(address, (entries = { texts: [], owners: [], seen: new Set() }))
    return entries
  }
  for (let index = 0; index < values.length; index++) {
    const v = values[index]!
    const target = v.isKey ? 'keys' : SOURCE_TARGET[v.source]
    const filename = v.filename === true
    push(entriesOf(target), v.value, index)
    if (filename) push(entriesOf('filenames'), v.value, index)
    if (markup && mayBeMarkup(v.value)) {
      push(entriesOf(target, MARKUP_ADDRESSES), v.value, index)
      if (filename) push(entriesOf('filenames', MARKUP_ADDRESSES), v.value, index)
    }
    if (anyGate?.test(v.value)) {
      for (const group of gated) {
        if (!group.gates.some((g) => v.value.includes(g))) continue
        push(entriesOf(target, group.addresses), v.value, index)
        if (filename) push(entriesOf('filenames', group.addresses), v.value, index)
      }
    }
  }
  const data: Record<string, unknown> = {}
  const owners = new Map<string, readonly number[]>()
  for (const [address, entries] of byAddress) {
    const { texts } = entries
    if (texts.length <= CHUNK_SIZE) data[address] = texts
    else {
      const chunks: string[][] = []
      for (let i = 0; i < texts.length; i += CHUNK_SIZE) chunks.push(texts.slice(i, i + CHUNK_SIZE))
      data[address] = chunks
    }
    owners.set(address, entries.owners)
  }
  return { data, owners }
}

/** The value a match's `address` + `key_path` points at, or undefined when it cannot be resolved. */
export function ownerOf(payload: DdwafPayload, address: string | undefined, keyPath: readonly (string | number)[] | undefined): number | undefined {
  const owners = payload.owners.get(address ?? '')
  if (!owners || !keyPath || keyPath.length === 0) return undefined
  const numbers = keyPath.map((k) => Number(k))
  const entry = numbers.length === 1 ? numbers[0]! : numbers[0]! * CHUNK_SIZE + numbers[1]!
  return Number.isInteger(entry) ? owners[entry] : undefined
}
