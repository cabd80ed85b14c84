/**
 * Lays inspected values out as libddwaf input and maps a match's key path back to its value.
 *
 * Values go in as plain string arrays, one per address: the native binding converts an array
 * about twice as fast as an index-keyed map, and conversion is a large share of a small request's
 * cost. Identical strings at one address are sent once (keys repeat in arrays of objects); a
 * match resolves to the first occurrence, and an exclusion re-check then finds the others.
 * libddwaf inspects at most 256 entries of one container and 4096 characters of one string, so
 * big arrays are split into chunks and long strings into overlapping windows: nothing is skipped.
 */
import type { InspectedValue, Source } from './extract.js'
import type { RuleTarget } from './rule-types.js'

/** libddwaf truncates longer strings; windows overlap so a payload cannot straddle a cut unseen. */
const WINDOW_CHARS = 4096
const WINDOW_STEP = 3584
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
 * Where the XSS rule (libinjection's `is_xss`) reads: only the values that hold `<` or `=`.
 * libinjection flags a value only for a tag, a doctype, a comment (each opened by `<`) or an
 * attribute value after a dangerous attribute name (given by `=`; in the quoted-value contexts it
 * starts in, the first value has no name yet) — see `libinjection_is_xss` and its HTML5 tokenizer.
 * Prose rarely holds either, and on prose the XSS scan is the larger part of libinjection's time.
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

/** True when libinjection's XSS check could flag the text (see MARKUP_ADDRESSES). */
export function mayBeMarkup(text: string): boolean {
  return text.includes('<') || text.includes('=')
}

const SOURCE_TARGET: Readonly<Record<Source, RuleTarget>> = { path: 'path', query: 'query', cookie: 'cookie', body: 'body', header: 'headers' }
/** Headers that carry a file name for upload endpoints. */
const FILENAME_HEADERS = new Set(['header.x-filename', 'header.x_filename', 'header.x.filename', 'header.x-file-name'])

/** True when the value is also inspected as a file name (a second address). */
export function feedsFilenames(value: InspectedValue): boolean {
  return !value.isKey && (value.location.endsWith('.filename') || FILENAME_HEADERS.has(value.location))
}

/** One address's entries while the payload is built. */
interface AddressEntries {
  texts: string[]
  /** Entry index → index of the inspected value it came from. */
  owners: number[]
  /** Short strings already present (long ones are windowed and never deduplicated). */
  seen: Map<string, number>
}

/** A payload ready for `context.run`, with the map back from entries to values. */
export interface DdwafPayload {
  data: Record<string, unknown>
  owners: ReadonlyMap<string, readonly number[]>
}

function push(entries: AddressEntries, text: string, owner: number): void {
  if (text.length <= WINDOW_CHARS) {
    if (entries.seen.has(text)) return
    entries.seen.set(text, owner)
    entries.texts.push(text)
    entries.owners.push(owner)
    return
  }
  for (let start = 0; start < text.length; start += WINDOW_STEP) {
    entries.texts.push(text.slice(start, start + WINDOW_CHARS))
    entries.owners.push(owner)
    if (start + WINDOW_CHARS >= text.length) break
  }
}

/**
 * Builds `{ address: [text, ...] }` (chunked as `[[...], [...]]` past 250 entries); with `markup`,
 * also the values the XSS rule reads at `MARKUP_ADDRESSES`.
 */
export function buildPayload(values: readonly InspectedValue[], markup = false): DdwafPayload {
  const byAddress = new Map<string, AddressEntries>()
  const entriesOf = (target: RuleTarget, addresses: Readonly<Record<RuleTarget, string>> = ADDRESSES): AddressEntries => {
    const address = addresses[target]
    let entries = byAddress.get(address)
    if (!entries) byAddress.set(address, (entries = { texts: [], owners: [], seen: new Map() }))
    return entries
  }
  for (let index = 0; index < values.length; index++) {
    const v = values[index]!
    const target = v.isKey ? 'keys' : SOURCE_TARGET[v.source]
    const filename = feedsFilenames(v)
    push(entriesOf(target), v.value, index)
    if (filename) push(entriesOf('filenames'), v.value, index)
    if (markup && mayBeMarkup(v.value)) {
      push(entriesOf(target, MARKUP_ADDRESSES), v.value, index)
      if (filename) push(entriesOf('filenames', MARKUP_ADDRESSES), v.value, index)
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
