/**
 * Turns a raw value into the form a backend would finally interpret, so an encoded payload
 * cannot slip past a detector: percent-decoding (repeated, for double encoding), `%uXXXX`,
 * HTML character references, Unicode NFKC (full-width `＜` becomes `<`) and NUL removal.
 * Case folding, comment removal and whitespace compression are per detector and happen in the
 * engine's transformers. Every step is a single linear pass; no regex here can backtrack.
 */

const HEX = /^[0-9a-fA-F]$/
/** Linear (a literal then fixed-width classes): is there anything percent-decodable left? */
const HAS_PERCENT_ESCAPE = /%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})/
/** Named references a browser or template engine commonly resolves; enough for evasion cases. */
const NAMED_ENTITIES: Record<string, string> = {
  lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', nbsp: ' ', colon: ':', lpar: '(', rpar: ')', sol: '/',
  bsol: '\\', tab: '\t', newline: '\n', semi: ';', comma: ',', period: '.', excl: '!', num: '#', dollar: '$',
  percnt: '%', equals: '=', plus: '+', lsqb: '[', rsqb: ']', lbrack: '[', rbrack: ']', lcub: '{', rcub: '}',
  lbrace: '{', rbrace: '}', grave: '`', quest: '?', vert: '|', verbar: '|', ast: '*', lowbar: '_', hyphen: '-',
}
/** More rounds than a real client ever needs; each round is linear and usually a no-op. */
const MAX_DECODE_ROUNDS = 3

/**
 * Percent-decodes one round, tolerating malformed escapes (kept as text) and invalid UTF-8
 * (becomes U+FFFD). With `plusAsSpace`, `+` means a space (form and query encoding).
 */
export function percentDecode(input: string, plusAsSpace = false): string {
  if (!input.includes('%') && !(plusAsSpace && input.includes('+'))) return input
  const bytes: number[] = []
  const n = input.length
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i)
    if (c === 0x25 /* % */ && HEX.test(input[i + 1] ?? '') && HEX.test(input[i + 2] ?? '')) {
      bytes.push(Number.parseInt(input.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c === 0x25 && (input[i + 1] === 'u' || input[i + 1] === 'U') && isHex4(input, i + 2)) {
      // IIS-style %uXXXX: a code unit, appended as UTF-8.
      pushUtf8(bytes, String.fromCharCode(Number.parseInt(input.slice(i + 2, i + 6), 16)))
      i += 5
    } else if (c === 0x2b /* + */ && plusAsSpace) {
      bytes.push(0x20)
    } else if (c < 0x80) {
      bytes.push(c)
    } else {
      // Copy a whole code point (a surrogate pair stays together).
      const cp = input.codePointAt(i) ?? c
      const ch = String.fromCodePoint(cp)
      pushUtf8(bytes, ch)
      i += ch.length - 1
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function isHex4(s: string, at: number): boolean {
  for (let k = at; k < at + 4; k++) if (!HEX.test(s[k] ?? '')) return false
  return true
}

function pushUtf8(bytes: number[], ch: string): void {
  for (const b of Buffer.from(ch, 'utf8')) bytes.push(b)
}

/** Decodes HTML character references (`&lt;`, `&#60;`, `&#x3c;`, and the numeric forms without `;`). */
export function decodeHtmlEntities(input: string): string {
  if (!input.includes('&')) return input
  let out = ''
  let i = 0
  const n = input.length
  while (i < n) {
    const amp = input.indexOf('&', i)
    if (amp < 0) break
    out += input.slice(i, amp)
    let j = amp + 1
    if (input[j] === '#') {
      j++
      const hex = input[j] === 'x' || input[j] === 'X'
      if (hex) j++
      const start = j
      // Bounded: at most 8 digits, so the scan is constant per reference.
      while (j < n && j - start < 8 && (hex ? HEX.test(input[j]!) : input[j]! >= '0' && input[j]! <= '9')) j++
      if (j > start) {
        const cp = Number.parseInt(input.slice(start, j), hex ? 16 : 10)
        if (input[j] === ';') j++
        out += cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFD'
        i = j
        continue
      }
    } else {
      const start = j
      while (j < n && j - start < 10 && /[a-zA-Z]/.test(input[j]!)) j++
      const name = input.slice(start, j).toLowerCase()
      const decoded = NAMED_ENTITIES[name]
      if (decoded !== undefined && input[j] === ';') {
        out += decoded
        i = j + 1
        continue
      }
    }
    out += '&'
    i = amp + 1
  }
  return out + input.slice(i)
}

/**
 * Any character that a step below could act on: `%` (percent-decoding), `&` (references), NUL, or
 * anything past `~` (NFKC). A string without one passes every step unchanged, and most values —
 * keys, ids, enumerations, ASCII prose — are such strings; one linear test replaces five scans.
 */
const NEEDS_DECODING = /[%&\0\x7f-\uffff]/

/** True when the string has any character outside printable ASCII (so NFKC may change it). */
function hasNonAscii(input: string): boolean {
  for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) > 0x7e) return true
  return false
}

/**
 * The canonical form every detector sees: fully percent-decoded (up to three extra rounds),
 * HTML references decoded, NFKC-normalised, without NUL characters.
 */
export function normalizeValue(input: string): string {
  return NEEDS_DECODING.test(input) ? decodeFully(input) : input
}

/** Every step of `normalizeValue`, unconditionally (exported so tests can prove the shortcut). */
export function decodeFully(input: string): string {
  let value = input
  for (let round = 0; round < MAX_DECODE_ROUNDS && HAS_PERCENT_ESCAPE.test(value); round++) {
    const next = percentDecode(value)
    if (next === value) break
    value = next
  }
  // Twice: an XML or HTML layer may itself carry escaped references (`&amp;#60;`).
  value = decodeHtmlEntities(decodeHtmlEntities(value))
  if (hasNonAscii(value)) value = value.normalize('NFKC')
  if (value.includes('\0')) value = value.split('\0').join('')
  return value
}
