/**
 * RFC 8941 serialisation for the signature code, with the output of structured-headers and a
 * fraction of its cost.
 *
 * Every verification re-serialises the covered components and `@signature-params` (RFC 9421
 * §2.3, §2.5), and structured-headers does that through `Array.from(...).map(...).join()` and a
 * regular expression per string and key — in the profile that cost more than the HMAC itself.
 * These functions build the same strings with plain loops. Whatever they do not handle cheaply
 * (decimals, dates, display strings, invalid input that must throw) is handed to the library, so
 * output and errors are the library's by construction; sf-serialize.test.ts compares the two.
 */
import {
  serializeBareItem as libraryBareItem,
  serializeKey as libraryKey,
  serializeString as libraryString,
  Token,
  type BareItem,
  type InnerList,
  type Item,
  type Parameters,
} from 'structured-headers'

const MAX_INTEGER = 999_999_999_999_999

function serializeKey(key: string): string {
  const first = key.charCodeAt(0)
  let valid = (first >= 0x61 && first <= 0x7a) || first === 0x2a
  for (let i = 1; valid && i < key.length; i++) {
    const c = key.charCodeAt(i)
    valid = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a
  }
  return valid ? key : libraryKey(key) // throws the library's SerializeError
}

function serializeString(value: string): string {
  let escapes = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return libraryString(value) // throws: only printable ASCII
    if (c === 0x22 || c === 0x5c) escapes = true
  }
  return escapes ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`
}

/** A bare item (RFC 8941 §4.1.3). */
export function serializeBareItem(value: BareItem): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value)
    case 'number':
      if (Number.isInteger(value) && value >= -MAX_INTEGER && value <= MAX_INTEGER) return String(value)
      return libraryBareItem(value) // decimals, and the out-of-range error
    case 'boolean':
      return value ? '?1' : '?0'
  }
  if (value instanceof Token) return value.toString()
  if (value instanceof ArrayBuffer) return `:${Buffer.from(value).toString('base64')}:`
  if (ArrayBuffer.isView(value)) return `:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}:`
  return libraryBareItem(value) // dates, display strings, and the type error
}

/** Parameters (RFC 8941 §4.1.1.2): `;key` for true, `;key=value` otherwise. */
export function serializeParameters(params: Parameters): string {
  let out = ''
  for (const [key, value] of params) out += value === true ? `;${serializeKey(key)}` : `;${serializeKey(key)}=${serializeBareItem(value)}`
  return out
}

/** An item with its parameters (RFC 8941 §4.1.3). */
export function serializeItem(item: Item): string {
  return serializeBareItem(item[0]) + serializeParameters(item[1])
}

/** An inner list with its parameters (RFC 8941 §4.1.1.1). */
export function serializeInnerList(list: InnerList): string {
  let out = '('
  const items = list[0]
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ' ') + serializeItem(items[i]!)
  return `${out})${serializeParameters(list[1])}`
}

/** A Dictionary (RFC 8941 §4.1.2); a member whose value is `true` is written as its bare key. */
export function serializeDictionary(dict: ReadonlyMap<string, Item | InnerList>): string {
  let out = ''
  let first = true
  for (const [key, member] of dict) {
    out += first ? serializeKey(key) : `, ${serializeKey(key)}`
    first = false
    if (member[0] === true) out += serializeParameters(member[1])
    else out += Array.isArray(member[0]) ? `=${serializeInnerList(member as InnerList)}` : `=${serializeItem(member as Item)}`
  }
  return out
}
