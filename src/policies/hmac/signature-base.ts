/**
 * RFC 9421 §2: component values and the signature base.
 *
 * The verifier and the exported signer both build the base here, so they cannot drift apart;
 * the RFC Appendix B vectors in the tests pin it to the standard byte for byte. Every error
 * aborts (§2.5: "no base is produced"), so callers get a precise reason and nothing to compare.
 */
import { parseDictionary, parseItem, parseList, serializeList, type BareItem, type InnerList, type Item, type Parameters } from 'structured-headers'
import { serializeDictionary, serializeInnerList, serializeItem, serializeParameters } from './sf-serialize.js'

/** Request headers with lower-case names, as Node parses them (arrays = several field lines). */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>

/** The request pieces the signature base is computed from. */
export interface SignedRequestParts {
  /** Method as sent (case preserved). */
  method: string
  /** Absolute target URI as the client sent it: `scheme://authority/path?query`, path still percent-encoded. */
  url: string
  headers: HeaderMap
}

/** One covered component: an sf-string name with its parameters (order kept). */
export type ComponentIdentifier = Item

/** Raised when a component cannot be computed; `message` is the precise, loggable reason. */
export class SignatureBaseError extends Error {}

const DERIVED = new Set(['@method', '@target-uri', '@authority', '@scheme', '@request-target', '@path', '@query', '@query-param'])
const FIELD_PARAMS = new Set(['sf', 'key', 'bs', 'req', 'tr'])
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' }

/**
 * Fields whose RFC 8941 type is known, so `;sf` and `;key` can re-serialise them strictly.
 * Unknown fields with `;sf` are refused rather than guessed.
 */
const SF_FIELD_TYPES: Record<string, 'dictionary' | 'list' | 'item'> = {
  'content-digest': 'dictionary',
  'repr-digest': 'dictionary',
  'signature-input': 'dictionary',
  signature: 'dictionary',
  'accept-signature': 'dictionary',
  priority: 'dictionary',
  'want-content-digest': 'dictionary',
  'want-repr-digest': 'dictionary',
}

/** The parts of an absolute URI the derived components need, split without normalising the path. */
export interface SplitUri {
  scheme: string
  authority: string
  path: string
  /** Query without `?`; undefined when there is no `?`. */
  query: string | undefined
}

/**
 * Splits `scheme://authority/path?query#fragment` with index arithmetic only (no regex, no
 * WHATWG normalisation: the path must stay byte-identical to what travelled on the wire).
 */
export function splitUri(url: string): SplitUri {
  const schemeEnd = url.indexOf('://')
  if (schemeEnd <= 0) throw new SignatureBaseError('target URI is not absolute')
  const scheme = url.slice(0, schemeEnd).toLowerCase()
  let rest = url.slice(schemeEnd + 3)
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  let authEnd = rest.length
  const slash = rest.indexOf('/')
  if (slash !== -1) authEnd = slash
  const question = rest.indexOf('?')
  if (question !== -1 && question < authEnd) authEnd = question
  const authority = normaliseAuthority(scheme, rest.slice(0, authEnd))
  const pathAndQuery = rest.slice(authEnd)
  const q = pathAndQuery.indexOf('?')
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q)
  const query = q === -1 ? undefined : pathAndQuery.slice(q + 1)
  return { scheme, authority, path: path === '' ? '/' : path, query }
}

/** Lower-cases the host and drops the scheme's default port (RFC 9110 §4.2.3, RFC 9421 §2.2.3). */
export function normaliseAuthority(scheme: string, authority: string): string {
  if (authority === '' || authority.includes('@')) throw new SignatureBaseError('authority missing or carries userinfo')
  const lower = authority.toLowerCase()
  const colon = lower.lastIndexOf(':')
  // A colon inside an IPv6 literal is not a port separator.
  if (colon !== -1 && colon > lower.lastIndexOf(']')) {
    const port = lower.slice(colon + 1)
    if (port === '' || port === DEFAULT_PORTS[scheme]) return lower.slice(0, colon)
  }
  return lower
}

/** The `@target-uri` value: scheme and authority normalised, path and query exactly as sent. */
export function targetUri(parts: SplitUri): string {
  return `${parts.scheme}://${parts.authority}${parts.path}${parts.query === undefined ? '' : `?${parts.query}`}`
}

/**
 * WHATWG "percent-encode after encoding" with the application/x-www-form-urlencoded
 * percent-encode set, as RFC 9421 §2.2.8 requires for `@query-param` names and values:
 * every UTF-8 byte except ASCII alphanumerics and `*-._` becomes `%XX` (space is `%20`, not `+`).
 */
export function formPercentEncode(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const keep =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2a || byte === 0x2d || byte === 0x2e || byte === 0x5f
    out += keep ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function stringParam(params: Parameters, name: string): string | undefined {
  const value = params.get(name)
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new SignatureBaseError(`component parameter ${name} must be a string`)
  return value
}

function derivedValue(request: SignedRequestParts, uri: SplitUri, name: string, params: Parameters): string {
  for (const key of params.keys()) {
    if (!(name === '@query-param' && key === 'name')) throw new SignatureBaseError(`parameter ${key} not allowed on ${name}`)
  }
  switch (name) {
    case '@method':
      return request.method
    case '@target-uri':
      return targetUri(uri)
    case '@authority':
      return uri.authority
    case '@scheme':
      return uri.scheme
    case '@request-target':
      return uri.query === undefined ? uri.path : `${uri.path}?${uri.query}`
    case '@path':
      return uri.path
    case '@query':
      return `?${uri.query ?? ''}`
    default: {
      // @query-param (the only other name DERIVED admits)
      const wanted = stringParam(params, 'name')
      if (wanted === undefined) throw new SignatureBaseError('@query-param needs a name parameter')
      let found: string | undefined
      for (const [key, value] of new URLSearchParams(uri.query ?? '')) {
        if (formPercentEncode(key) !== wanted) continue
        // §2.2.8: a repeated parameter name MUST NOT be signed by this component.
        if (found !== undefined) throw new SignatureBaseError(`query parameter ${wanted} is repeated`)
        found = formPercentEncode(value)
      }
      if (found === undefined) throw new SignatureBaseError(`query parameter ${wanted} is absent`)
      return found
    }
  }
}

function fieldLines(headers: HeaderMap, name: string): string[] | undefined {
  const raw = headers[name]
  if (raw === undefined) return undefined
  // §2.1: trim each line and turn obs-fold into a single space.
  return typeof raw === 'string' ? [cleanFieldLine(raw)] : raw.map(cleanFieldLine)
}

function cleanFieldLine(line: string): string {
  // obs-fold needs a CR, which header values practically never carry: skip the regex without one.
  return (line.includes('\r') ? line.replace(/\r\n[ \t]+/g, ' ') : line).trim()
}

function strictSerialise(name: string, value: string, type: 'dictionary' | 'list' | 'item'): string {
  try {
    if (type === 'dictionary') return serializeDictionary(parseDictionary(value))
    if (type === 'list') return serializeList(parseList(value))
    return serializeItem(parseItem(value))
  } catch {
    throw new SignatureBaseError(`field ${name} is not a valid structured field`)
  }
}

function fieldValue(headers: HeaderMap, name: string, params: Parameters): string {
  for (const key of params.keys()) {
    if (!FIELD_PARAMS.has(key)) throw new SignatureBaseError(`unknown component parameter ${key}`)
  }
  if (params.has('req')) throw new SignatureBaseError('req parameter is not allowed on a request')
  if (params.has('tr')) throw new SignatureBaseError('trailers are not supported')
  const bs = params.has('bs')
  if (bs && (params.has('sf') || params.has('key'))) throw new SignatureBaseError('bs cannot be combined with sf or key')
  const lines = fieldLines(headers, name)
  if (lines === undefined) throw new SignatureBaseError(`covered field ${name} is absent`)
  if (bs) return serializeList(lines.map((line): Item => [Buffer.from(line, 'latin1'), new Map()]))
  const combined = lines.join(', ')
  const key = stringParam(params, 'key')
  if (key !== undefined || params.has('sf')) {
    const type = SF_FIELD_TYPES[name]
    if (type === undefined) throw new SignatureBaseError(`field ${name} has no known structured type`)
    if (key === undefined) return strictSerialise(name, combined, type)
    if (type !== 'dictionary') throw new SignatureBaseError(`key parameter needs a dictionary field`)
    let member: Item | InnerList | undefined
    try {
      member = parseDictionary(combined).get(key)
    } catch {
      throw new SignatureBaseError(`field ${name} is not a valid dictionary`)
    }
    if (member === undefined) throw new SignatureBaseError(`dictionary member ${key} absent from ${name}`)
    return Array.isArray(member[0]) ? serializeInnerList(member as InnerList) : serializeItem(member as Item)
  }
  return combined
}

/** Computes one component's value (§2.1, §2.2) or throws a SignatureBaseError. */
export function componentValue(request: SignedRequestParts, uri: SplitUri, component: ComponentIdentifier): string {
  const [name, params] = component
  if (typeof name !== 'string') throw new SignatureBaseError('component identifier must be a string')
  let value: string
  if (name.startsWith('@')) {
    // §7.5.1: an @-name is never looked up as a header, even if the client sent one.
    if (!DERIVED.has(name)) throw new SignatureBaseError(`unsupported derived component ${name}`)
    value = derivedValue(request, uri, name, params)
  } else {
    if (name !== name.toLowerCase() || name === '') throw new SignatureBaseError('field component names must be lower case')
    value = fieldValue(request.headers, name, params)
  }
  if (value.includes('\n') || value.includes('\r')) throw new SignatureBaseError(`component ${name} contains a line break`)
  return value
}

/**
 * Equality key of a component identifier: name plus parameters in a fixed order (§2.5 step 2.0).
 * `identifier` is the component's serialisation when the caller already has it.
 */
export function componentKey(component: ComponentIdentifier, identifier?: string): string {
  // Zero or one parameter (nearly every component) is already in order.
  if (component[1].size < 2) return identifier ?? serializeItem(component)
  const sorted = new Map([...component[1]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return serializeItem([component[0] as BareItem, sorted])
}

/**
 * Serialises the `@signature-params` value: the inner list exactly as parsed/constructed (§2.3).
 * `identifiers` are the components' serialisations when the caller already has them.
 */
export function serializeSignatureParams(components: readonly ComponentIdentifier[], params: Parameters, identifiers?: readonly string[]): string {
  if (identifiers === undefined) return serializeInnerList([[...components], params])
  return `(${identifiers.join(' ')})${serializeParameters(params)}`
}

/**
 * Builds the signature base (§2.5). `signatureParams` is the serialised inner list for the
 * `@signature-params` line; `identifiers`, when given, are the components' serialisations (the
 * verifier has them from parsing). Throws a SignatureBaseError on any invalid or absent component.
 */
export function buildSignatureBase(
  request: SignedRequestParts,
  components: readonly ComponentIdentifier[],
  signatureParams: string,
  identifiers?: readonly string[],
): string {
  const uri = splitUri(request.url)
  const seen = new Set<string>()
  let base = ''
  for (let i = 0; i < components.length; i++) {
    const component = components[i]!
    if (component[0] === '@signature-params') throw new SignatureBaseError('@signature-params cannot be covered')
    const identifier = identifiers?.[i] ?? serializeItem(component)
    const key = componentKey(component, identifier)
    if (seen.has(key)) throw new SignatureBaseError(`component ${key} covered twice`)
    seen.add(key)
    base += `${identifier}: ${componentValue(request, uri, component)}\n`
  }
  base += `"@signature-params": ${signatureParams}`
  // §2.5 step 4: the base must be ASCII (Node decodes raw header bytes as latin1). Any character
  // above 0x7f takes two or more bytes in UTF-8, so equal lengths mean ASCII — checked natively.
  if (Buffer.byteLength(base, 'utf8') !== base.length) throw new SignatureBaseError('signature base contains non-ASCII characters')
  return base
}
