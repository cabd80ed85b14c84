/**
 * RFC 8941 Dictionary parsing that refuses duplicate keys.
 *
 * RFC 8941 §4.2.2 says a repeated Dictionary key silently overwrites the earlier member, and the
 * structured-headers parser does exactly that. For `Signature-Input` / `Signature` /
 * `Content-Digest` that is dangerous: two field lines with the same label (or algorithm) would let
 * a proxy and the gateway disagree about which member counts.
 *
 * Two paths, one answer: the fast parser (sf-fast-parse.ts) handles the common, well-formed case
 * and sees repeated keys itself; whatever it declines goes to the maintained parser, after which a
 * small linear scanner counts the top-level keys and any repeat is refused.
 */
import { parseDictionary, type BareItem, type Dictionary, type Item } from 'structured-headers'
import { parseDictionaryFast } from './sf-fast-parse.js'

/** Thrown when a field is not a valid, duplicate-free RFC 8941 Dictionary. */
export class DictionaryError extends Error {}

/**
 * Lists the top-level member keys of an already-valid Dictionary serialisation, in order.
 * Runs once over the string; it only has to track strings, byte sequences and inner lists,
 * because the structured-headers parser has already validated the syntax.
 */
export function dictionaryKeys(input: string): string[] {
  const keys: string[] = []
  let i = 0
  const n = input.length
  let expectKey = true
  let depth = 0
  // A byte sequence can only start a bare item; a `:` anywhere else is inside a token.
  let itemMayStart = false
  while (i < n) {
    const ch = input[i]!
    if (expectKey) {
      if (ch === ' ' || ch === '\t') {
        i++
        continue
      }
      let j = i
      while (j < n && /[a-z0-9_\-.*]/.test(input[j]!)) j++
      keys.push(input.slice(i, j))
      i = j
      expectKey = false
      itemMayStart = false
      continue
    }
    const startsItem = itemMayStart
    itemMayStart = ch === '=' || ch === '(' || (ch === ' ' && depth > 0)
    if (ch === '"') {
      // Skip a quoted string, honouring backslash escapes.
      i++
      while (i < n && input[i] !== '"') i += input[i] === '\\' ? 2 : 1
      i++
    } else if (ch === ':' && startsItem) {
      const end = input.indexOf(':', i + 1)
      i = end === -1 ? n : end + 1
    } else if (ch === '(') {
      depth++
      i++
    } else if (ch === ')') {
      depth--
      i++
    } else if (ch === ',' && depth === 0) {
      expectKey = true
      i++
    } else i++
  }
  return keys
}

/** Parses an RFC 8941 Dictionary and throws a DictionaryError on bad syntax or a repeated key. */
export function parseDictionaryStrict(input: string): Dictionary {
  const fast = parseDictionaryFast(input)
  if (fast !== undefined) return fast
  let dict: Dictionary
  try {
    dict = parseDictionary(input)
  } catch (error) {
    throw new DictionaryError(`not a structured-field dictionary: ${(error as Error).message}`)
  }
  const keys = dictionaryKeys(input)
  if (keys.length !== dict.size) throw new DictionaryError('duplicate dictionary key')
  return dict
}

/**
 * The bytes of a byte-sequence member value, or undefined when it is anything else. The library
 * parser yields an ArrayBuffer, the fast parser a Buffer; neither is copied.
 */
export function byteSequenceBytes(value: BareItem | Item[]): Buffer | undefined {
  if (value instanceof ArrayBuffer) return Buffer.from(value)
  if (Buffer.isBuffer(value)) return value
  return undefined
}
