/**
 * Which strings libinjection's XSS check (`is_xss`) could flag, decided without running it: the
 * check is linear but costly on prose, and most prose could never be flagged.
 *
 * libinjection tokenises the string as HTML (from five starting states) and flags only:
 * - a tag, a doctype or a comment — each opened by `<`;
 * - an attribute value given to a dangerous attribute name — which needs `=`, and the name token
 *   right before it (whitespace allowed between them) must be one libinjection's `is_black_attr`
 *   accepts: `on…` (event handlers), `xmlns…`, `xlink…`, or one of BLACK_ATTRIBUTES.
 * An attribute name starts after whitespace, `/` or a closing quote, runs to whitespace, `/`, `=`
 * or `>`, and is compared case-insensitively. So for each `=`, every candidate name — the run of
 * name characters before it, and each tail of that run after a quote — is checked against a
 * superset of the dangerous names (any `on…`, `xmlns…`, `xlink…` prefix, whatever its length).
 * Whitespace is exactly the tokenizer's (space, tab, LF, VT, FF, CR, NUL); the guard's values hold
 * no NUL (normalisation removes it).
 *
 * Tested against the libinjection that libddwaf ships: random strings of HTML syntax, attribute
 * names and attack words, and every corpus value; the gated engine must also find what an ungated
 * reference engine finds on every corpus request.
 */

/** libinjection's BLACKATTR table (compared whole, case-insensitively). */
const BLACK_ATTRIBUTES = new Set([
  'ACTION', 'ATTRIBUTENAME', 'BY', 'BACKGROUND', 'DATAFORMATAS', 'DATASRC', 'DYNSRC', 'FILTER', 'FORMACTION',
  'FOLDER', 'FROM', 'HANDLER', 'HREF', 'LOWSRC', 'POSTER', 'SRC', 'STYLE', 'TO', 'VALUES', 'XLINK:HREF',
])
/**
 * Prefixes `is_black_attr` treats as dangerous (there only at 5+ bytes; here at any length). The
 * libinjection libddwaf ships flags fewer (measured: not `xmlns:x=…`); the gate keeps the source's.
 */
const BLACK_PREFIX = /^(?:on|xmlns|xlink)/i

/** The tokenizer's whitespace (`h5_is_white`). */
const isWhite = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0
/** Characters that end an attribute name: whitespace, `/`, `=`, `>`. */
const endsName = (c: number): boolean => isWhite(c) || c === 0x2f || c === 0x3d || c === 0x3e
const isQuote = (c: number): boolean => c === 0x22 || c === 0x27 || c === 0x60

function isBlackName(name: string): boolean {
  return name.length > 0 && (BLACK_PREFIX.test(name) || BLACK_ATTRIBUTES.has(name.toUpperCase()))
}

/** True when some `=` in the text follows a name `is_black_attr` could accept. */
function givesDangerousAttribute(text: string): boolean {
  for (let eq = text.indexOf('='); eq >= 0; eq = text.indexOf('=', eq + 1)) {
    let end = eq
    while (end > 0 && isWhite(text.charCodeAt(end - 1))) end--
    let start = end
    while (start > 0 && !endsName(text.charCodeAt(start - 1))) start--
    if (start === end) continue
    if (isBlackName(text.slice(start, end))) return true
    // A name may also start right after a closing quote inside the run.
    for (let q = start; q < end; q++) {
      if (isQuote(text.charCodeAt(q)) && isBlackName(text.slice(q + 1, end))) return true
    }
  }
  return false
}

/** True when libinjection's XSS check could flag the text. */
export function mayBeMarkup(text: string): boolean {
  return text.includes('<') || (text.includes('=') && givesDangerousAttribute(text))
}
