/**
 * The detection engine: libddwaf (through `@datadog/native-appsec`), which embeds libinjection
 * for SQL and XSS and runs regular expressions with RE2, so every pattern is linear in its input.
 * Rulesets are compiled once per policy instance.
 *
 * A request costs one context and one run of the first pass: libinjection rules plus merged
 * "screens" (see screen-rules.ts; most of them run in node-re2 — re2-screen.ts — and libddwaf
 * screens only the values a decoder may change). Only when a screen fires does a second run
 * evaluate the individual regex and phrase rules, so benign traffic pays for a handful of rules.
 * libinjection's XSS check reads only the strings that could be markup (see MARKUP_ADDRESSES).
 * The payload built for the first pass also serves the second, which ignores the markup and gated
 * copies.
 */
import { createRequire } from 'node:module'
import type { InspectedValue } from './extract.js'
import type { CompiledRule, RuleTarget } from './rule-types.js'
import { ADDRESSES, anyGateTest, buildPayload, MARKUP_ADDRESSES, ownerOf, type DdwafPayload, type PayloadLayout } from './ddwaf-payload.js'
import { DEFAULT_TARGETS, planScreens, type ScreenPlan } from './screen-rules.js'
import { createRe2Screen, re2Accepts } from './re2-screen.js'

type NativeAppsec = typeof import('@datadog/native-appsec')
const require = createRequire(import.meta.url)
const { DDWAF } = require('@datadog/native-appsec') as NativeAppsec
type Ddwaf = InstanceType<NativeAppsec['DDWAF']>

/** One rule that matched, resolved to the inspected value it matched in. */
export interface EngineMatch {
  rule: CompiledRule
  value: InspectedValue
  /** The part of the (transformed) value that matched, when libddwaf reports it. */
  highlight: string | undefined
}

/** Outcome of one engine run. */
export interface EngineResult {
  matches: EngineMatch[]
  timedOut: boolean
  /** Nothing fired in the first pass — no rule, no screen — and it finished in time. */
  quiet: boolean
  /**
   * No rule matched any value and every pass finished in time: quiet, or a screen's false alarm
   * that the second pass settled with no match at all. Every value is then clean.
   */
  clean: boolean
}

/** A compiled engine for one rule selection. */
export interface DdwafEngine {
  readonly rules: ReadonlyMap<string, CompiledRule>
  /** Runs every rule over the values within `timeoutMs`. */
  run(values: readonly InspectedValue[], timeoutMs: number): EngineResult
  /**
   * True when the first pass over the values fires nothing (no rule, no screen) within
   * `timeoutMs`: then no rule matches any of them. One such run clears the values of many
   * requests at once; on false, run each request's values on their own.
   */
  isQuiet(values: readonly InspectedValue[], timeoutMs: number): boolean
  /** Frees the native instances. */
  dispose(): void
}

/** Translates one Portcullis rule into libddwaf's rule format (schema 2.x). */
function toDdwafRule(rule: CompiledRule, addresses: Readonly<Record<RuleTarget, string>> = ADDRESSES): object {
  const inputs = (rule.targets ?? DEFAULT_TARGETS).map((t) => ({ address: addresses[t] }))
  const parameters: Record<string, unknown> = { inputs }
  if (rule.operator === 'match_regex') {
    parameters['regex'] = rule.regex
    parameters['options'] = { case_sensitive: rule.caseSensitive ?? false, min_length: rule.minLength ?? 0 }
  } else if (rule.operator === 'phrase_match') {
    parameters['list'] = rule.list
    if (rule.wordBoundary) parameters['options'] = { enforce_word_boundary: true }
  }
  return {
    id: rule.id,
    name: rule.name,
    // libddwaf reports only the first match per `type`; a unique type lets every rule score.
    tags: { type: rule.id, category: rule.category },
    conditions: [{ operator: rule.operator, parameters }],
    transformers: rule.transformers ?? [],
  }
}

/** Compiles libddwaf rules, throwing (at policy creation, never per request) on any rejected rule. */
function compile(rules: readonly object[]): Ddwaf | undefined {
  if (rules.length === 0) return undefined
  const waf: Ddwaf = new DDWAF({ version: '2.2', metadata: { rules_version: 'portcullis-2' }, rules }, 'portcullis/injection-guard')
  const diagnostics = waf.diagnostics.rules
  if (diagnostics && 'failed' in diagnostics && diagnostics.failed.length > 0) {
    const errors = JSON.stringify(diagnostics.errors)
    waf.dispose()
    throw new Error(`injection-guard: libddwaf rejected rules ${diagnostics.failed.join(', ')}: ${errors}`)
  }
  return waf
}

/** True when libddwaf accepts the rule on its own (used to size screens at creation). */
function compilesAlone(rule: object): boolean {
  try {
    compile([rule])?.dispose()
    return true
  } catch {
    return false
  }
}

interface RawEvent {
  rule?: { id?: string }
  rule_matches?: { parameters?: { address?: string; key_path?: (string | number)[]; highlight?: string[] }[] }[]
}

interface PassResult {
  events: RawEvent[]
  timedOut: boolean
  /** Microseconds the pass took, as libddwaf measured it. */
  durationUs: number
}

/** The first pass's outcome: libddwaf's, and whether node-re2's screen fired. */
interface FirstPass extends PassResult {
  re2Fired: boolean
  /** Nothing fired (no rule, no screen) and it finished in time. */
  quiet: boolean
}

function runPass(waf: Ddwaf, payload: DdwafPayload, budgetUs: number): PassResult {
  const context = waf.createContext()
  try {
    const result = context.run({ ephemeral: payload.data }, Math.max(1, budgetUs))
    return { events: (result.events ?? []) as RawEvent[], timedOut: result.timeout, durationUs: (result.duration ?? 0) / 1000 }
  } finally {
    context.dispose()
  }
}

/** Engine tuning that does not change verdicts. */
export interface EngineOptions {
  /**
   * true: no screens and no markup gate, every rule runs on every value in one pass — the
   * reference the engine is tested against (slower, same verdicts).
   */
  reference?: boolean
  /** A clock in microseconds (tests substitute one); it times the node-re2 screen. */
  clockUs?: () => number
}

/**
 * Compiles the rules into the two libddwaf instances. Throws when libddwaf rejects a rule or a
 * screen, so a broken pattern cannot silently disable detection.
 */
export function createDdwafEngine(rules: readonly CompiledRule[], options: EngineOptions = {}): DdwafEngine {
  const byId = new Map(rules.map((r) => [r.id, r]))
  const clockUs = options.clockUs ?? (() => performance.now() * 1000)
  const plan: ScreenPlan = options.reference
    ? { direct: [...rules], screens: [], detailed: [], re2Patterns: [], gateGroups: [] }
    : planScreens(rules, compilesAlone, re2Accepts)
  const re2Screen = createRe2Screen(plan.re2Patterns)
  // The detailed rules compile first, so a broken rule is reported by its own id.
  const second = compile(plan.detailed.map((r) => toDdwafRule(r)))
  // The XSS rule reads only values that could be markup, unless this is the reference engine.
  const gateXss = !options.reference && plan.direct.some((r) => r.operator === 'is_xss')
  const layout: PayloadLayout = { markup: gateXss, gated: plan.gateGroups, anyGate: anyGateTest(plan.gateGroups) }
  let first: Ddwaf | undefined
  try {
    first = compile([...plan.direct.map((r) => toDdwafRule(r, gateXss && r.operator === 'is_xss' ? MARKUP_ADDRESSES : ADDRESSES)), ...plan.screens])
  } catch (error) {
    second?.dispose()
    throw error
  }
  const resolve = (events: RawEvent[], payload: DdwafPayload, values: readonly InspectedValue[], out: Map<string, EngineMatch>): boolean => {
    let screened = false
    for (const raw of events) {
      const id = raw.rule?.id ?? ''
      const rule = byId.get(id)
      if (!rule) {
        screened ||= id.startsWith('screen-')
        continue
      }
      const parameter = raw.rule_matches?.[0]?.parameters?.[0]
      const owner = ownerOf(payload, parameter?.address, parameter?.key_path)
      const value = owner === undefined ? undefined : values[owner]
      if (value && !out.has(id)) out.set(id, { rule, value, highlight: parameter?.highlight?.[0] })
    }
    return screened
  }
  /** The first pass: libinjection and the libddwaf screens, then the node-re2 screen. */
  const firstPass = (payload: DdwafPayload, values: readonly InspectedValue[], budgetUs: number): FirstPass => {
    const pass = first ? runPass(first, payload, budgetUs) : { events: [], timedOut: false, durationUs: 0 }
    if (pass.timedOut) return { ...pass, re2Fired: false, quiet: false }
    // node-re2 cannot be interrupted, but its time counts against the same budget.
    const started = clockUs()
    const re2Fired = re2Screen.fires(values)
    const durationUs = pass.durationUs + (clockUs() - started)
    const timedOut = durationUs > budgetUs
    return { events: pass.events, timedOut, durationUs, re2Fired, quiet: pass.events.length === 0 && !timedOut && !re2Fired }
  }
  const runOnce = (values: readonly InspectedValue[], timeoutMs: number): EngineResult => {
    if (values.length === 0) return { matches: [], timedOut: false, quiet: true, clean: true }
    const payload = buildPayload(values, layout)
    const budgetUs = timeoutMs * 1000
    const matches = new Map<string, EngineMatch>()
    const pass1 = firstPass(payload, values, budgetUs)
    const screened = resolve(pass1.events, payload, values, matches) || pass1.re2Fired
    if (!screened || !second || pass1.timedOut) return { matches: [...matches.values()], timedOut: pass1.timedOut, quiet: pass1.quiet, clean: pass1.quiet }
    const pass2 = runPass(second, payload, budgetUs - pass1.durationUs)
    resolve(pass2.events, payload, values, matches)
    // Judged on libddwaf's raw events, not on the matches resolved from them.
    const clean = !pass2.timedOut && pass2.events.length === 0 && pass1.events.every((e) => e.rule?.id?.startsWith('screen-') === true)
    return { matches: [...matches.values()], timedOut: pass2.timedOut, quiet: false, clean }
  }
  const engine: DdwafEngine = {
    rules: byId,
    run: retryingOnce(runOnce),
    isQuiet(values, timeoutMs) {
      return values.length === 0 || firstPass(buildPayload(values, layout), values, timeoutMs * 1000).quiet
    },
    dispose() {
      if (first && !first.disposed) first.dispose()
      if (second && !second.disposed) second.dispose()
    },
  }
  // RE2 builds its automata lazily: one warm-up run at creation keeps that cost (tens of
  // milliseconds) off the first real request and out of its time budget.
  engine.run(WARM_UP, 1000)
  return engine
}

/**
 * libddwaf's time budget is wall-clock: a run that was merely descheduled (a busy machine, a
 * stopped VM) times out like an expensive input, and under `onLimit: block` a benign request would
 * be refused. A second run tells the two apart — an input that really needs more than the budget
 * exceeds it again, so only two consecutive timeouts count. (The CPU time of the run would say it
 * directly, but `process.cpuUsage()` costs ~2.6 µs here, more than this whole retry on average.)
 */
export function retryingOnce<A extends unknown[]>(run: (...args: A) => EngineResult): (...args: A) => EngineResult {
  return (...args) => {
    const result = run(...args)
    return result.timedOut ? run(...args) : result
  }
}

const WARM_UP: InspectedValue[] = (['path', 'query', 'cookie', 'body', 'header'] as const).flatMap((source) => [
  { source, location: `${source}.warm`, value: "warm-up ' or 1=1 -- <script>alert(1)</script> ; cat /etc/passwd ${jndi:x} {{7*7}} http://127.0.0.1/" },
  { source, location: `${source}.warm`, value: 'warm', isKey: true },
])
