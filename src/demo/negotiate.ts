/**
 * Content negotiation for the demo API: which representation to send (Accept) and which request
 * bodies to accept (Content-Type). Both parsers bound their work, so a hostile header costs little.
 */

/** The two representations the demo API can produce. */
export type Representation = 'json' | 'xml'

/** Media types of the representations, as sent in Content-Type. */
export const MEDIA_TYPES: Readonly<Record<Representation, string>> = {
  json: 'application/json; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
}

/** Request body formats the demo API understands. */
export type BodyFormat = 'json' | 'merge-patch' | 'xml'

// An Accept header longer than this is still parsed, but only its first ranges count.
const MAX_RANGES = 32

interface MediaRange {
  type: string
  subtype: string
  q: number
}

function parseRanges(accept: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const part of accept.split(',', MAX_RANGES)) {
    const [rawType = '', ...params] = part.split(';')
    const [type = '', subtype = ''] = rawType.trim().toLowerCase().split('/')
    if (!type || !subtype) continue
    let q = 1
    for (const param of params) {
      const eq = param.indexOf('=')
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue
      const value = param.slice(eq + 1).trim()
      // RFC 9110 qvalue: 0, 1, or up to three decimals; anything else makes the range unusable.
      q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value) ? Number(value) : -1
    }
    if (q >= 0) ranges.push({ type: type.trim(), subtype: subtype.trim(), q })
  }
  return ranges
}

/** The q-value the header gives one concrete media type: the most specific matching range wins. */
function qualityOf(ranges: MediaRange[], type: string, subtype: string): number {
  let best = -1
  let specificity = -1
  for (const r of ranges) {
    let s: number
    if (r.type === type && r.subtype === subtype) s = 2
    else if (r.type === type && r.subtype === '*') s = 1
    else if (r.type === '*' && r.subtype === '*') s = 0
    else continue
    if (s > specificity || (s === specificity && r.q > best)) {
      specificity = s
      best = r.q
    }
  }
  return best < 0 ? 0 : best
}

/**
 * Picks the representation for a response, or null when the client accepts neither (406).
 * A missing Accept header means "anything"; on a tie JSON wins, as the API's default.
 */
export function negotiateRepresentation(accept: string | undefined): Representation | null {
  if (accept === undefined || accept.trim() === '') return 'json'
  const ranges = parseRanges(accept)
  if (ranges.length === 0) return 'json'
  const json = qualityOf(ranges, 'application', 'json')
  const xml = qualityOf(ranges, 'application', 'xml')
  if (json <= 0 && xml <= 0) return null
  return xml > json ? 'xml' : 'json'
}

/** Outcome of reading a request's Content-Type against the formats a route accepts. */
export type ContentTypeResult = { ok: true; format: BodyFormat } | { ok: false; detail: string }

/**
 * Maps Content-Type to a body format. Only UTF-8 is accepted: a declared charset other than
 * utf-8 is an unsupported media type, not something to transcode.
 */
export function parseContentType(header: string | undefined, allowed: readonly BodyFormat[]): ContentTypeResult {
  const supported = allowed.map(formatMediaType).join(', ')
  if (header === undefined || header.trim() === '') {
    return { ok: false, detail: `A Content-Type header is required; supported: ${supported}.` }
  }
  const [rawType = '', ...params] = header.split(';', 8)
  const type = rawType.trim().toLowerCase()
  for (const param of params) {
    const eq = param.indexOf('=')
    if (eq < 0) continue
    const name = param.slice(0, eq).trim().toLowerCase()
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase()
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      return { ok: false, detail: 'Only the utf-8 charset is supported.' }
    }
  }
  const format: BodyFormat | undefined =
    type === 'application/json' ? 'json'
    : type === 'application/merge-patch+json' ? 'merge-patch'
    : type === 'application/xml' || type === 'text/xml' ? 'xml'
    : undefined
  if (format === undefined || !allowed.includes(format)) {
    return { ok: false, detail: `Content-Type must be one of: ${supported}.` }
  }
  return { ok: true, format }
}

function formatMediaType(format: BodyFormat): string {
  return format === 'json' ? 'application/json' : format === 'merge-patch' ? 'application/merge-patch+json' : 'application/xml'
}
