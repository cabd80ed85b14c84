/**
 * A fast RFC 8941 Dictionary parser for the fields every signed request carries:
 * `Signature-Input`, `Signature` and `Content-Digest`.
 *
 * Why it exists: structured-headers reads one character at a time, tests each one with a regular
 * expression and grows strings by concatenation. Profiling a signed 1 KiB POST put its parsing
 * (three dictionaries per request) at about a third of the whole verification. This parser walks
 * char codes and slices substrings, and builds the values structured-headers builds (Map,
 * [value, params], Token) with one exception: a byte sequence is a Buffer, not a fresh
 * ArrayBuffer, because allocating an ArrayBuffer costs more than decoding the base64. Readers take
 * byte sequences through `byteSequenceBytes` (sf-dictionary.ts), which accepts both.
 *
 * It is deliberately partial. It returns `undefined` — meaning "let structured-headers decide" —
 * for everything it does not handle with certainty: any syntax error (so errors and their messages
 * stay the library's), decimals, dates, display strings, byte sequences that are not canonical
 * base64, and repeated dictionary keys (sf-dictionary.ts refuses those on the library path).
 * sf-fast-parse.test.ts checks it against the library on generated and mutated inputs.
 */
import { Token, type BareItem, type Dictionary, type InnerList, type Item, type Parameters } from 'structured-headers'

const SP = 0x20
const HTAB = 0x09
const DQUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a

/** Lower-case letter, digit or `_ - . *` (RFC 8941 §3.1.2 key characters after the first). */
function isKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

/** RFC 9110 tchar plus `:` and `/` (RFC 8941 §3.3.4 token characters after the first). */
function isTokenChar(c: number): boolean {
  if (isAlpha(c) || isDigit(c)) return true
  switch (c) {
    case 0x3a: // :
    case 0x2f: // /
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true
    default:
      return false
  }
}

/** Parses `input` as a Dictionary, or returns undefined when the library must decide (see above). */
export function parseDictionaryFast(input: string): Dictionary | undefined {
  return new FastParser(input).dictionary()
}

class FastParser {
  private pos = 0

  constructor(private readonly input: string) {}

  dictionary(): Dictionary | undefined {
    const input = this.input
    const n = input.length
    const dict: Dictionary = new Map()
    while (this.pos < n && input.charCodeAt(this.pos) === SP) this.pos++
    while (this.pos < n) {
      const key = this.key()
      if (key === undefined) return undefined
      let member: Item | InnerList | undefined
      if (input.charCodeAt(this.pos) === 0x3d /* = */) {
        this.pos++
        member = input.charCodeAt(this.pos) === 0x28 /* ( */ ? this.innerList() : this.item()
      } else {
        const params = this.parameters()
        member = params === undefined ? undefined : [true, params]
      }
      if (member === undefined || dict.has(key)) return undefined
      dict.set(key, member)
      this.skipOws()
      if (this.pos >= n) return dict
      if (input.charCodeAt(this.pos) !== 0x2c /* , */) return undefined
      this.pos++
      this.skipOws()
      if (this.pos >= n) return undefined // trailing comma
    }
    return dict
  }

  private skipOws(): void {
    const input = this.input
    for (let c = input.charCodeAt(this.pos); c === SP || c === HTAB; c = input.charCodeAt(this.pos)) this.pos++
  }

  private key(): string | undefined {
    const input = this.input
    const start = this.pos
    const first = input.charCodeAt(start)
    if (!((first >= 0x61 && first <= 0x7a) || first === 0x2a)) return undefined
    let i = start + 1
    while (i < input.length && isKeyChar(input.charCodeAt(i))) i++
    this.pos = i
    return input.slice(start, i)
  }

  private innerList(): InnerList | undefined {
    const input = this.input
    this.pos++ // (
    const items: Item[] = []
    while (this.pos < input.length) {
      while (input.charCodeAt(this.pos) === SP) this.pos++
      if (input.charCodeAt(this.pos) === 0x29 /* ) */) {
        this.pos++
        const params = this.parameters()
        return params === undefined ? undefined : [items, params]
      }
      const item = this.item()
      if (item === undefined) return undefined
      items.push(item)
      const next = input.charCodeAt(this.pos)
      if (next !== SP && next !== 0x29) return undefined
    }
    return undefined // no closing parenthesis
  }

  private item(): Item | undefined {
    const value = this.bareItem()
    if (value === undefined) return undefined
    const params = this.parameters()
    return params === undefined ? undefined : [value, params]
  }

  private parameters(): Parameters | undefined {
    const input = this.input
    const params: Parameters = new Map()
    while (input.charCodeAt(this.pos) === 0x3b /* ; */) {
      this.pos++
      while (input.charCodeAt(this.pos) === SP) this.pos++
      const key = this.key()
      if (key === undefined) return undefined
      let value: BareItem | undefined = true
      if (input.charCodeAt(this.pos) === 0x3d /* = */) {
        this.pos++
        value = this.bareItem()
        if (value === undefined) return undefined
      }
      // A repeated parameter overwrites the earlier value, as RFC 8941 §4.2.3.2 and the library do.
      params.set(key, value)
    }
    return params
  }

  private bareItem(): BareItem | undefined {
    const c = this.input.charCodeAt(this.pos)
    if (c === 0x2d /* - */ || isDigit(c)) return this.integer()
    if (c === DQUOTE) return this.string()
    if (isAlpha(c) || c === 0x2a /* * */) return this.token()
    if (c === COLON) return this.byteSequence()
    if (c === 0x3f /* ? */) return this.boolean()
    return undefined // dates, display strings, and anything invalid
  }

  private integer(): number | undefined {
    const input = this.input
    let sign = 1
    if (input.charCodeAt(this.pos) === 0x2d) {
      sign = -1
      this.pos++
    }
    const start = this.pos
    let value = 0
    while (this.pos < input.length && isDigit(input.charCodeAt(this.pos))) {
      value = value * 10 + (input.charCodeAt(this.pos) - 0x30)
      this.pos++
    }
    const digits = this.pos - start
    // No digit, more than 15 digits, or a decimal point: the library's errors and decimals.
    if (digits === 0 || digits > 15 || input.charCodeAt(this.pos) === 0x2e /* . */) return undefined
    // Same arithmetic as the library (parseInt(...) * sign), so "-0" is -0 there and here.
    return value * sign
  }

  private string(): string | undefined {
    const input = this.input
    let i = this.pos + 1
    let segmentStart = i
    let out = ''
    while (i < input.length) {
      const c = input.charCodeAt(i)
      if (c === DQUOTE) {
        this.pos = i + 1
        return out + input.slice(segmentStart, i)
      }
      if (c === BACKSLASH) {
        const next = input.charCodeAt(i + 1)
        if (next !== DQUOTE && next !== BACKSLASH) return undefined
        out += input.slice(segmentStart, i)
        segmentStart = i + 1 // the escaped character starts the next segment
        i += 2
        continue
      }
      if (c < 0x20 || c > 0x7e) return undefined
      i++
    }
    return undefined // unterminated
  }

  private token(): Token {
    const input = this.input
    const start = this.pos
    let i = start + 1
    while (i < input.length && isTokenChar(input.charCodeAt(i))) i++
    this.pos = i
    return new Token(input.slice(start, i))
  }

  private byteSequence(): Buffer | undefined {
    const input = this.input
    const end = input.indexOf(':', this.pos + 1)
    if (end === -1) return undefined
    const encoded = input.slice(this.pos + 1, end)
    const bytes = Buffer.from(encoded, 'base64')
    // Only canonical (padded, no stray bits) base64 is decoded here: there Node and the library's
    // atob() provably agree. Anything looser goes to the library.
    if (bytes.toString('base64') !== encoded) return undefined
    this.pos = end + 1
    return bytes
  }

  private boolean(): boolean | undefined {
    const c = this.input.charCodeAt(this.pos + 1)
    if (c !== 0x30 && c !== 0x31) return undefined
    this.pos += 2
    return c === 0x31
  }
}
