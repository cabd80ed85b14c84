/**
 * The guard's logic without the gateway around it: extract → normalise → detect → exclude →
 * score. Pure apart from the native engine, so the policy, the tests and the detection benchmark
 * all drive exactly the same code.
 */
import { extractRequest, type ExtractLimits, type HeaderSelection, type InspectedValue, type LimitKind, type RequestParts } from './extract.js'
import { normalizeValue } from './normalize.js'
import { createDdwafEngine, type DdwafEngine, type EngineMatch, type EngineResult } from './ddwaf-engine.js'
import { anomalyScore, isOverThreshold } from './scoring.js'
import { redactExcerpt } from './redact.js'
import { createCleanMemo } from './clean-memo.js'
import { selectRules } from './rule-set.js'
import type { Category, Exclusion, InjectionGuardConfig } from './schema.js'
import type { CompiledRule, RuleFile, Severity } from './rule-types.js'

/** One rule that fired, as reported in events (the excerpt is redacted). */
export interface Detection {
  id: string
  category: Category
  severity: Severity
  pl: number
  location: string
  excerpt: string
}

/** The guard's decision for one request. */
export interface Verdict {
  block: boolean
  /** Anomaly score of the rules that fired (after exclusions). */
  score: number
  detections: Detection[]
  /** Set when inspection stopped early: a limit, or the engine's time budget. */
  limitHit: LimitKind | 'timeout' | undefined
  /** Why the request is blocked, for logs and events (never sent to the client). */
  reason: string | undefined
  inspectedValues: number
}

/** A configured guard, built once per policy instance. */
export interface InjectionGuard {
  readonly rules: ReadonlyMap<string, CompiledRule>
  inspect(parts: RequestParts): Verdict
  /**
   * The verdicts of many requests, each exactly what `inspect` would return. Clean requests are
   * cleared together, in one engine run: a busy gateway inspects a whole event-loop turn at once.
   */
  inspectMany(batch: readonly RequestParts[]): Verdict[]
  close(): void
}

/** A request extracted, filtered and normalised, ready for the engine. */
interface Prepared {
  limitHit: LimitKind | undefined
  /** Values extracted (after location-wide exclusions). */
  inspected: number
  /** Raw values the clean-string memo did not know. */
  fresh: InspectedValue[]
  /** `fresh`, normalised: what the engine reads. */
  values: InspectedValue[]
}

interface CompiledExclusion {
  /** undefined: every rule. */
  matchesRule: ((rule: CompiledRule) => boolean) | undefined
  exact: ReadonlySet<string>
  prefixes: readonly string[]
}

function compileExclusion(exclusion: Exclusion): CompiledExclusion {
  const ids = new Set(exclusion.rules ?? [])
  const categories = new Set<string>(exclusion.categories ?? [])
  const everyRule = ids.size === 0 && categories.size === 0
  return {
    matchesRule: everyRule ? undefined : (rule) => ids.has(rule.id) || categories.has(rule.category),
    exact: new Set(exclusion.locations.filter((l) => !l.endsWith('*'))),
    prefixes: exclusion.locations.filter((l) => l.endsWith('*')).map((l) => l.slice(0, -1)),
  }
}

function locationMatches(exclusion: CompiledExclusion, location: string): boolean {
  return exclusion.exact.has(location) || exclusion.prefixes.some((p) => location.startsWith(p))
}

/** Tuning that is not configuration. */
export interface GuardOptions {
  /** Clean strings remembered per generation (see clean-memo.ts); 0 turns the memo off. */
  memoEntries?: number
}

/** The engine's result for a request cleared with others in one quiet run. */
const CLEARED: EngineResult = { matches: [], timedOut: false, quiet: true, clean: true }

/** Enough for the keys, headers and enumerations of a busy API; a few MB at most. */
const DEFAULT_MEMO_ENTRIES = 8192

/** Builds the guard: selects rules by paranoia and category and compiles the engine once. */
export function createInjectionGuard(config: InjectionGuardConfig, ruleFiles?: readonly RuleFile[], options: GuardOptions = {}): InjectionGuard {
  const rules = selectRules(config.paranoia, config.categories, ruleFiles)
  const engine: DdwafEngine = createDdwafEngine(rules)
  const memo = createCleanMemo(options.memoEntries ?? DEFAULT_MEMO_ENTRIES)
  const limits: ExtractLimits = { maxDepth: config.limits.maxDepth, maxValues: config.limits.maxValues, maxBytes: config.limits.maxBytes }
  const headers: HeaderSelection = {
    include: new Set(config.headers.map((h) => h.toLowerCase())),
    skip: new Set(config.skipHeaders.map((h) => h.toLowerCase())),
  }
  const exclusions = config.exclusions.map(compileExclusion)
  const skipsEverything = exclusions.filter((e) => e.matchesRule === undefined)
  const ruleScoped = exclusions.filter((e) => e.matchesRule !== undefined)

  const isExcluded = (rule: CompiledRule, location: string): boolean =>
    ruleScoped.some((e) => e.matchesRule!(rule) && locationMatches(e, location))

  /** Re-runs for rules whose first match was excluded: they may still match elsewhere. */
  const recheck = (values: InspectedValue[], rule: CompiledRule): EngineMatch | undefined => {
    const remaining = values.filter((v) => !isExcluded(rule, v.location))
    if (remaining.length === values.length) return undefined
    const again = engine.run(remaining, config.limits.timeoutMs)
    return again.matches.find((m) => m.rule.id === rule.id && !isExcluded(rule, m.value.location))
  }

  const prepare = (parts: RequestParts): Prepared => {
    // With location-wide exclusions the memo is consulted after them, so that `inspected` counts
    // only what they leave; otherwise extraction skips known strings before building anything.
    const extraction = extractRequest(parts, limits, headers, skipsEverything.length === 0 ? memo : undefined)
    let fresh = extraction.values
    let inspected = extraction.count
    if (skipsEverything.length > 0) {
      const kept = fresh.filter((v) => !skipsEverything.some((e) => locationMatches(e, v.location)))
      inspected = kept.length
      fresh = kept.filter((v) => !memo.has(v))
    }
    // Most values are already canonical: share them, and the array too while nothing changes.
    let values = fresh
    for (let i = 0; i < fresh.length; i++) {
      const v = fresh[i]!
      const value = normalizeValue(v.value)
      if (value === v.value) continue
      if (values === fresh) values = fresh.slice()
      values[i] = { ...v, value }
    }
    return { limitHit: extraction.limitHit, inspected, fresh, values }
  }

  /** Scores what the engine found (nothing, for a request cleared in a batch) into a verdict. */
  const judge = (request: Prepared, result: EngineResult): Verdict => {
    if (result.clean) memo.remember(request.fresh)
    const kept: EngineMatch[] = []
    for (const match of result.matches) {
      if (!isExcluded(match.rule, match.value.location)) kept.push(match)
      else {
        const other = recheck(request.values, match.rule)
        if (other) kept.push(other)
      }
    }
    const score = anomalyScore(kept.map((m) => m.rule.severity))
    const limitHit = request.limitHit ?? (result.timedOut ? 'timeout' : undefined)
    const detections = kept.map(
      (m): Detection => ({
        id: m.rule.id,
        category: m.rule.category,
        severity: m.rule.severity,
        pl: m.rule.pl,
        location: m.value.isKey ? `${m.value.location} (name)` : m.value.location,
        excerpt: redactExcerpt(m.value.location, m.value.value, m.highlight),
      }),
    )
    let reason: string | undefined
    if (isOverThreshold(score, config.threshold)) {
      const categories = [...new Set(detections.map((d) => d.category))].join(', ')
      reason = `anomaly score ${score} >= ${config.threshold} (${categories})`
    } else if (limitHit && config.onLimit === 'block') {
      reason = `inspection limit reached (${limitHit})`
    }
    return { block: reason !== undefined, score, detections, limitHit, reason, inspectedValues: request.inspected }
  }

  const inspectPrepared = (request: Prepared): Verdict => judge(request, engine.run(request.values, config.limits.timeoutMs))

  return {
    rules: engine.rules,
    inspect: (parts) => inspectPrepared(prepare(parts)),
    inspectMany(batch) {
      const requests = batch.map(prepare)
      if (requests.length > 1 && engine.isQuiet(requests.flatMap((r) => r.values), config.limits.timeoutMs)) {
        return requests.map((request) => judge(request, CLEARED))
      }
      // Something fired somewhere (or the run took too long): each request on its own, as `inspect`.
      return requests.map(inspectPrepared)
    },
    close() {
      engine.dispose()
    },
  }
}
