/**
 * The cheap first pass of the engine. libddwaf's cost is roughly (rules × values): every rule
 * walks every value. Almost all traffic is benign, so the regex and phrase rules are merged into
 * a handful of "screen" rules — one RE2 alternation per transformer chain — that answer only "could
 * any of these rules match here?". Only when a screen fires does the engine run the individual
 * rules, which decide, attribute and score exactly as before.
 *
 * Soundness: a screen must match whenever one of its member rules would. It does, because
 * - the alternation matches a string iff one of its branches does (RE2 has no backtracking quirks);
 * - case handling is rewritten only where it provably keeps the rule's meaning (see `branch`);
 * - member options that only restrict a match (`min_length`, phrase word boundaries) are dropped;
 * - targets are the union of the members' targets (node-re2's screens — re2-screen.ts — read
 *   every value).
 * A screen may fire where no rule matches (that costs time, never a verdict).
 *
 * Gated rules: a rule whose chain is a decoder (`js_decode`, `remove_comments`, ...) then
 * `lowercase` reads a value that holds none of the decoder's gate strings (TRANSFORMER_GATES)
 * exactly as a lower-case rule does — the decoder leaves it unchanged — so node-re2 screens it for
 * such values, and its libddwaf screen reads only the values that hold one of its chain's gate
 * strings. Each gate is tested against libddwaf's own transformer on random strings.
 */
import { ADDRESSES, gatedAddresses, type GateGroup } from './ddwaf-payload.js'
import type { CompiledRule, RuleTarget } from './rule-types.js'
import { readsEnd } from './re2-screen.js'

/** Rules evaluated natively as they are: libinjection operators have no cheaper superset. */
const DIRECT_OPERATORS = new Set(['is_sqli', 'is_xss'])
/**
 * RE2's memory budget (libddwaf: 512 KiB per regex) rejects very large alternations, and well
 * before that its DFA runs out of cache on prose and the scan gets ~10x slower: measured on
 * station traffic, 1500 pattern characters per screen is fast, 1650 already is not.
 */
const MAX_SCREEN_PATTERN_CHARS = 1500
/** Default targets when a rule names none. */
export const DEFAULT_TARGETS: readonly RuleTarget[] = ['path', 'query', 'cookie', 'body', 'headers', 'keys']

/** A split of the rule selection into what each engine pass runs. */
export interface ScreenPlan {
  /** Rules run in the first pass exactly as written (libinjection). */
  direct: CompiledRule[]
  /** Merged screens (libddwaf rule objects) for the first pass. */
  screens: object[]
  /**
   * Patterns for node-re2 to match against each value lower-cased (re2-screen.ts): those of the
   * rules that read their value lower-cased, and those of the gated rules (below).
   */
  re2Patterns: string[]
  /**
   * Gated rules read their value through transformers that leave a value without certain strings
   * unchanged (TRANSFORMER_GATES). node-re2 screens every value for them; the libddwaf screens of
   * each gated chain read only copies of the values that hold one of its strings.
   */
  gateGroups: GateGroup[]
  /** Rules run one by one in the second pass, only when a screen fired. */
  detailed: CompiledRule[]
}

const RE2_META = /[\\^$.|?*+()[\]{}]/g

function escapeLiteral(text: string): string {
  return text.replace(RE2_META, (c) => `\\${c}`)
}

/** Upper-case letters outside escapes (`\\S`, `\\W` are classes, not letters). */
function hasUpperLiteral(regex: string): boolean {
  return /[A-Z]/.test(regex.replace(/\\./g, ''))
}

/** A group that sets flags (`(?i)`, `(?-i:`, ...), as opposed to a plain `(?:` group. */
const INLINE_FLAGS = /\(\?[^:]/

/** Transformers that neither depend on nor change letter case: `lowercase` commutes with them. */
const CASE_BLIND = new Set(['remove_comments', 'compress_whitespace', 'normalize_path', 'remove_nulls'])

interface Branch {
  /** The screen's transformer chain; rules with the same chain share a screen. */
  chain: string[]
  pattern: string
}

/**
 * The rule's pattern as an alternation branch, with the transformer chain its screen applies.
 * Wherever that provably keeps the rule's meaning, `lowercase` moves to the end of the chain and
 * the pattern is case-sensitive — RE2 builds a far smaller automaton than for `(?i)`:
 * - the rule lower-cases itself and only case-blind steps follow: moving it last changes nothing;
 * - the rule is case-insensitive and names no upper-case letter: on ASCII, `(?i)R` matches x iff
 *   `R` matches lowercase(x). Values are NFKC-normalised before, which maps the non-ASCII letters
 *   that case-fold to ASCII (U+017F, U+212A) to ASCII.
 * - the rule is case-sensitive and its chain is case-blind (or empty): `(?i:R)` on lowercase(x)
 *   matches whenever R matches x (a superset), so it joins the lower-case screens.
 * Otherwise the chain is kept verbatim and the case option becomes an inline flag.
 */
function branch(rule: CompiledRule): Branch {
  const chain = rule.transformers ?? []
  const at = chain.indexOf('lowercase')
  const foldsItself = at >= 0 && chain.slice(at + 1).every((t) => CASE_BLIND.has(t))
  const folded = [...chain.filter((t) => t !== 'lowercase'), 'lowercase']
  if (rule.operator !== 'match_regex') {
    const pattern = `(?:${(rule.list ?? []).map(escapeLiteral).join('|')})`
    return { chain: foldsItself ? folded : chain, pattern }
  }
  const regex = rule.regex ?? ''
  const caseSensitive = rule.caseSensitive === true
  if (foldsItself) return { chain: folded, pattern: caseSensitive || !hasUpperLiteral(regex) ? `(?:${regex})` : `(?i:${regex})` }
  if (at < 0 && !caseSensitive && !hasUpperLiteral(regex)) return { chain: folded, pattern: `(?:${regex})` }
  // Case-blind chain (or none), case-sensitive rule: if R matches x, `(?i:R)` matches every case
  // variant of x, lowercase(x) among them. A superset, which is all a screen needs — and the rule
  // shares the big lower-case screens instead of costing one of its own.
  // Only without inline flags: a `(?-i)` inside would switch the folding back off.
  if (chain.every((t) => CASE_BLIND.has(t)) && !INLINE_FLAGS.test(regex)) return { chain: folded, pattern: `(?i:${regex})` }
  return { chain, pattern: caseSensitive ? `(?:${regex})` : `(?i:${regex})` }
}

/** Decides whether libddwaf compiles a screen (RE2 rejects automata over its memory budget). */
export type ScreenCheck = (screen: object) => boolean

/** The transformer chain of the screens node-re2 may run instead of libddwaf. */
const RE2_CHAIN = 'lowercase'
/**
 * Transformers and strings without which they leave a value as it is (so the chain reads the value
 * lower-cased, as node-re2 does): tested against libddwaf's own transformers.
 */
export const TRANSFORMER_GATES: Readonly<Record<string, readonly string[]>> = {
  js_decode: ['\\'],
  compress_whitespace: ['  '],
  remove_comments: ['/*', '//', '--', '#', '<!--'],
  // It acts only on `./` and on `..` after a slash (libddwaf's normalize_path); a plain path
  // (`/v1/stations/42`) or a URL is left as it is.
  normalize_path: ['./', '/..'],
  remove_nulls: ['\0'],
}

/**
 * Gate strings at which a transformer only cuts the value short. libddwaf's `remove_comments` ends
 * the value at the first end-of-line comment (`--`, `#`, `//`) outside a block comment, so a value
 * holding none of its other gates (`/*`, `<!--`) reads as a prefix of itself that stops just before
 * one of these — a non-word character. A pattern that asserts nothing about the end of the text
 * (`readsEnd`) matches such a prefix only if it matches the whole value, which node-re2 reads: for a
 * chain of such patterns these gates need not send the value to libddwaf as well. URLs (`//`) are
 * the common case. Tested against libddwaf's own transformer on random strings.
 */
export const TRUNCATING_GATES: Readonly<Record<string, readonly string[]>> = {
  remove_comments: ['--', '#', '//'],
}

/** The gate strings of a gated chain: those of its transformers, less the truncating ones when its patterns allow. */
function chainGates(transformers: readonly string[], patterns: readonly string[]): string[] {
  const prefixSafe = patterns.every((p) => !readsEnd(p))
  const gates = transformers.flatMap((t) => TRANSFORMER_GATES[t]!.filter((g) => !(prefixSafe && TRUNCATING_GATES[t]?.includes(g))))
  return [...new Set(gates)]
}

/**
 * Splits the rules by pass and merges the detailed ones into screens. A screen that `accepts`
 * rejects is split in halves until each part compiles; a single rule that does not compile is
 * left to fail in the detailed pass, where the error names it. Lower-case branches that `inRe2`
 * takes go to `re2Patterns` instead of libddwaf screens; gated branches go there too, and their
 * libddwaf screens read only the gated values.
 */
export function planScreens(rules: readonly CompiledRule[], accepts: ScreenCheck = () => true, inRe2: (pattern: string) => boolean = () => false): ScreenPlan {
  const direct = rules.filter((r) => DIRECT_OPERATORS.has(r.operator))
  const detailed = rules.filter((r) => !DIRECT_OPERATORS.has(r.operator))
  const lowerCasePatterns: string[] = []
  const gatedPatterns: string[] = []
  // Gated chains: their transformers (less `lowercase`), patterns and libddwaf addresses.
  const gatedChains = new Map<string, { transformers: string[]; patterns: string[]; addresses: Readonly<Record<RuleTarget, string>> }>()
  // Libddwaf screen groups, by chain and, for gated chains, where they read.
  const groups = new Map<string, { chain: string; addresses: Readonly<Record<RuleTarget, string>>; rules: CompiledRule[] }>()
  for (const rule of detailed) {
    const { chain: steps, pattern } = branch(rule)
    const chain = steps.join(',')
    const inNodeRe2 = inRe2(pattern)
    if (chain === RE2_CHAIN && inNodeRe2) {
      lowerCasePatterns.push(pattern)
      continue
    }
    const others = steps.filter((t) => t !== 'lowercase')
    const gated = inNodeRe2 && steps.at(-1) === 'lowercase' && others.every((t) => t in TRANSFORMER_GATES)
    let addresses = ADDRESSES
    if (gated) {
      gatedPatterns.push(pattern)
      let gatedChain = gatedChains.get(chain)
      if (!gatedChain) {
        gatedChain = { transformers: others, patterns: [], addresses: gatedAddresses(gatedChains.size) }
        gatedChains.set(chain, gatedChain)
      }
      gatedChain.patterns.push(pattern)
      addresses = gatedChain.addresses
    }
    const key = `${chain}|${gated}`
    const group = groups.get(key)
    if (group) group.rules.push(rule)
    else groups.set(key, { chain, addresses, rules: [rule] })
  }
  const screens: object[] = []
  const emit = (chain: string, addresses: Readonly<Record<RuleTarget, string>>, members: CompiledRule[]): void => {
    const screen = screenRule(`screen-${screens.length}`, chain, members, addresses)
    if (members.length === 1 || accepts(screen)) {
      screens.push(screen)
      return
    }
    const half = Math.ceil(members.length / 2)
    emit(chain, addresses, members.slice(0, half))
    emit(chain, addresses, members.slice(half))
  }
  for (const { chain, addresses, rules: members } of groups.values()) {
    // First-fit decreasing: fewer screens than packing in file order (each costs a scan per char).
    const bins: { rules: CompiledRule[]; size: number }[] = []
    const bySize = members.map((rule) => ({ rule, length: branch(rule).pattern.length + 1 })).sort((a, b) => b.length - a.length)
    for (const { rule, length } of bySize) {
      const bin = bins.find((b) => b.size + length <= MAX_SCREEN_PATTERN_CHARS)
      if (bin) {
        bin.rules.push(rule)
        bin.size += length
      } else bins.push({ rules: [rule], size: length })
    }
    for (const bin of bins) emit(chain, addresses, bin.rules)
  }
  const gateGroups = [...gatedChains.values()].map((c): GateGroup => ({ gates: chainGates(c.transformers, c.patterns), addresses: c.addresses }))
  return { direct, screens, detailed, re2Patterns: [...lowerCasePatterns, ...gatedPatterns], gateGroups }
}

function screenRule(id: string, chain: string, members: readonly CompiledRule[], addresses: Readonly<Record<RuleTarget, string>>): object {
  const targets = new Set<RuleTarget>(members.flatMap((r) => r.targets ?? DEFAULT_TARGETS))
  return {
    id,
    name: `screen for ${members.map((r) => r.id).join(', ')}`,
    tags: { type: id, category: 'screen' },
    conditions: [
      {
        operator: 'match_regex',
        parameters: {
          inputs: [...targets].map((t) => ({ address: addresses[t] })),
          regex: members.map((r) => branch(r).pattern).join('|'),
          options: { case_sensitive: true },
        },
      },
    ],
    transformers: chain ? chain.split(',') : [],
  }
}
