/**
 * Screens (see screen-rules.ts) run by node-re2 instead of libddwaf: those of the rules that read
 * their value lower-cased, and those of the gated rules for the values their decoders leave as they
 * are — both read each value lower-cased.
 *
 * Why: libddwaf gives every regular expression a small memory budget, so the rules that read a
 * lower-cased value need a dozen separate screens of ~1,500 pattern characters each; beside one
 * another their automata miss the CPU caches, and each costs ~1.5 µs per request of prose. node-re2
 * compiles the same patterns with RE2's default budget into a few automata, each small enough to
 * keep RE2's DFA (see MAX_AUTOMATON_PATTERN_CHARS). A call into node-re2 costs ~1 µs of its own, so
 * a request's strings are read in one call per automaton: joined by VALUE_SEPARATOR.
 *
 * Still a superset of every member rule, as a libddwaf screen is:
 * - the patterns are RE2 syntax and node-re2 hands them to RE2 unchanged (checked per pattern:
 *   `internalSource` must equal it, up to `/` escaped as `\/`; any other pattern stays a libddwaf
 *   screen), and both run RE2 on UTF-8;
 * - `asciiLowercaseUtf8` does what libddwaf's `lowercase` does (ASCII letters only);
 * - the screen reads the same windows of long values that libddwaf reads, each a substring of the
 *   joined text;
 * - `^`, `$` (and `\A`, `\z`) also accept the separator, where a window begins or ends, and `\b`,
 *   `\B` see the separator as a non-word character, as they see the edge of a string;
 * - a match across a separator is a false alarm, settled by the second pass on single values.
 * Linear time, as in libddwaf: even where RE2 gives up its DFA it falls back to a linear (if ~1000×
 * slower) simulation, and the screen's time counts against the engine's budget (ddwaf-engine.ts).
 */
import { createRequire } from 'node:module'
import type { InspectedValue } from './extract.js'
import { fitsOneWindow, windowSpans } from './ddwaf-payload.js'

/** The part of node-re2's RE2 used here (its typings merge RE2 into RegExp, hiding Buffer input). */
interface Re2 {
  readonly internalSource: string
  test(text: string | Buffer): boolean
}
const require = createRequire(import.meta.url)
const RE2 = require('re2') as new (pattern: string, flags: string) => Re2

/** Unicode mode: RE2 reads UTF-8, as it does in libddwaf. */
const FLAGS = 'u'

/**
 * What libddwaf's `lowercase` transformer does — A–Z to a–z, every other character unchanged —
 * in place on UTF-8: every byte of a multi-byte sequence is >= 0x80, so only ASCII letters change.
 */
export function asciiLowercaseUtf8(bytes: Buffer): Buffer {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b >= 0x41 && b <= 0x5a) bytes[i] = b | 0x20
  }
  return bytes
}

/** Between joined values: a control character no rule names, and not a word character for `\b`. */
const VALUE_SEPARATOR = '\x1f'
const SEPARATOR_BYTE = VALUE_SEPARATOR.charCodeAt(0)

/** The anchors RE2 knows outside character classes (multi-line mode aside, `$` and `\\z` agree). */
type Anchor = '^' | '$' | '\\A' | '\\z'

/**
 * Copies a pattern, replacing each anchor outside a character class by `rewrite(anchor)`.
 * Undefined when the pattern holds syntax where that could change a literal (`\\Q…\\E`,
 * `\\p{^…}`) or that this reading does not follow.
 */
function rewriteAnchors(pattern: string, rewrite: (anchor: Anchor) => string): string | undefined {
  if (pattern.includes('\\Q') || pattern.includes('\\p{') || pattern.includes('\\P{')) return undefined
  let out = ''
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\') {
      const next = pattern[i + 1]
      if (next === undefined) return undefined
      i++
      if (!inClass && (next === 'A' || next === 'z')) out += rewrite(`\\${next}`)
      else out += c + next
      continue
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        // A POSIX class inside a class: copied up to its `:]`.
        const end = pattern.indexOf(':]', i + 2)
        if (end < 0) return undefined
        out += pattern.slice(i, end + 2)
        i = end + 1
        continue
      }
      if (c === ']') inClass = false
      out += c
      continue
    }
    if (c === '[') {
      inClass = true
      out += c
      // A `]` right after `[` or `[^` is a literal member, not the end.
      if (pattern[i + 1] === '^') out += pattern[++i]
      if (pattern[i + 1] === ']') out += pattern[++i]
      continue
    }
    out += c === '^' || c === '$' ? rewrite(c) : c
  }
  return inClass ? undefined : out
}

const AT_SEPARATORS: Readonly<Record<Anchor, string>> = { '^': '(?:^|\\x1f)', $: '(?:$|\\x1f)', '\\A': '(?:\\A|\\x1f)', '\\z': '(?:\\z|\\x1f)' }

/**
 * The pattern for joined values: every anchor outside a character class also accepts the
 * separator. Undefined when `rewriteAnchors` cannot read the pattern.
 */
export function anchoredAtSeparators(pattern: string): string | undefined {
  return rewriteAnchors(pattern, (anchor) => AT_SEPARATORS[anchor])
}

/**
 * True unless the pattern surely asserts nothing about the end of the text (`$`, `\\z`): such a
 * pattern matches a prefix of a text only if it matches the text itself, as long as the prefix
 * ends before a non-word character (where `\\b` and `\\B` read as they do at the end).
 */
export function readsEnd(pattern: string): boolean {
  let found = false
  const readable = rewriteAnchors(pattern, (anchor) => {
    if (anchor === '$' || anchor === '\\z') found = true
    return anchor
  })
  return readable === undefined || found
}

/** True when node-re2 passes the pattern to RE2 as it is (so it means what it means in libddwaf). */
function re2TakesVerbatim(pattern: string): boolean {
  try {
    return new RE2(pattern, FLAGS).internalSource.replaceAll('\\/', '/') === pattern
  } catch {
    return false
  }
}

/** True when the screen can run the pattern: its joined form exists and node-re2 takes it verbatim. */
export function re2Accepts(pattern: string): boolean {
  const joined = anchoredAtSeparators(pattern)
  return joined !== undefined && re2TakesVerbatim(joined)
}

/** Screens over lower-cased values. */
export interface Re2Screen {
  /** The source of each automaton (for tests and diagnostics). */
  readonly automata: readonly string[]
  /** True when some pattern matches some window of some value (lower-cased). */
  fires(values: readonly InspectedValue[]): boolean
}

/** Scratch space kept between calls; a larger turn gets a buffer of its own. */
const KEPT_SCRATCH_BYTES = 256 * 1024

/**
 * Writes the windows of every value (as libddwaf reads them), joined by VALUE_SEPARATOR, as UTF-8
 * into a buffer it reuses: joining into a string and encoding that costs a fresh allocation of a
 * few KB per turn and measured 3–7× the time.
 */
function createJoiner(): (values: readonly InspectedValue[]) => Buffer {
  let scratch = Buffer.allocUnsafe(16 * 1024)
  return (values) => {
    let out = scratch
    let length = 0
    const put = (text: string): void => {
      // Room for the worst case first (a UTF-16 code unit takes at most 3 bytes of UTF-8), so
      // `write` never stops short.
      const need = length + 1 + 3 * text.length
      if (need > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, 2 * out.length))
        out.copy(bigger, 0, 0, length)
        out = bigger
      }
      if (length > 0) out[length++] = SEPARATOR_BYTE
      length += out.write(text, length, 'utf8')
    }
    for (const { value } of values) {
      if (fitsOneWindow(value)) put(value)
      else for (const [start, end] of windowSpans(value)) put(value.slice(start, end))
    }
    if (out !== scratch && out.length <= KEPT_SCRATCH_BYTES) scratch = out
    return out.subarray(0, length)
  }
}

/**
 * Most pattern characters per automaton. node-re2 keeps RE2's default memory budget (8 MiB), and
 * the DFA gets what the compiled program leaves of it: past ~17,000–19,000 characters of these
 * patterns the DFA has too little, and every search falls back to RE2's NFA — linear, but ~200×
 * slower (measured: 100 KB of prose 1 ms → 280 ms; a typical request ~0.07 → 1.6 ms). Each automaton
 * costs a scan of every byte (~1.6 µs per KiB of prose here), so fewer, larger automata are cheaper:
 * 12,000 gives PL1's ~23,600 characters two automata (not three) at two thirds of the cliff. A test
 * checks that every automaton, at every paranoia level, scans prose at DFA speed.
 */
export const MAX_AUTOMATON_PATTERN_CHARS = 12_000

/**
 * Splits patterns, in order, into ⌈size / budget⌉ parts of about equal size (each within half a
 * pattern of the mean, the last one taking what is left).
 */
export function splitPatterns(patterns: readonly string[], budget = MAX_AUTOMATON_PATTERN_CHARS): string[][] {
  // Each pattern is wrapped as `(?:…)` and joined by `|`.
  const size = (p: string): number => p.length + 5
  const total = patterns.reduce((n, p) => n + size(p), 0)
  const count = Math.max(1, Math.ceil(total / budget))
  const mean = total / count
  const parts: string[][] = []
  let part: string[] = []
  let filled = 0
  for (const pattern of patterns) {
    if (part.length > 0 && parts.length < count - 1 && filled + size(pattern) / 2 > mean) {
      parts.push(part)
      part = []
      filled = 0
    }
    part.push(pattern)
    filled += size(pattern)
  }
  if (part.length > 0) parts.push(part)
  return parts
}

/**
 * Compiles the patterns (each one `re2Accepts`) into automata of at most MAX_AUTOMATON_PATTERN_CHARS
 * — split in halves further while RE2 refuses one.
 */
export function createRe2Screen(patterns: readonly string[]): Re2Screen {
  const compiled: Re2[] = []
  const add = (part: readonly string[]): void => {
    try {
      compiled.push(new RE2(part.map((p) => `(?:${p})`).join('|'), FLAGS))
    } catch (error) {
      // A single accepted pattern compiles alone (re2Accepts built it).
      if (part.length === 1) throw error
      const half = Math.ceil(part.length / 2)
      add(part.slice(0, half))
      add(part.slice(half))
    }
  }
  const joined = patterns.map((p) => {
    const rewritten = anchoredAtSeparators(p)
    if (rewritten === undefined) throw new Error(`injection-guard: pattern cannot be joined: ${p}`)
    return rewritten
  })
  for (const part of splitPatterns(joined)) add(part)
  const join = createJoiner()
  return {
    automata: compiled.map((re) => re.internalSource),
    fires(values) {
      if (compiled.length === 0 || values.length === 0) return false
      // Converted to UTF-8 once, not once per automaton.
      const text = asciiLowercaseUtf8(join(values))
      return compiled.some((re) => re.test(text))
    },
  }
}
