/**
 * The detection engine: libddwaf (through `@datadog/native-appsec`), which embeds libinjection
 * for SQL and XSS and runs regular expressions with RE2, so every pattern is linear in its input.
 * The ruleset is compiled once per policy instance; a request costs one context and one run.
 *
 * Values are fed as flat maps keyed by their index in the extraction, so a match's key path leads
 * straight back to the location. Flat maps also sidestep libddwaf's nesting limit; its other two
 * built-in limits (256 entries per container, 4096 characters per string) are handled by grouping
 * entries and by splitting long strings into overlapping windows, so nothing is silently skipped.
 */
import { createRequire } from 'node:module'
import type { InspectedValue, Source } from './extract.js'
import type { CompiledRule, RuleTarget } from './rule-types.js'

type NativeAppsec = typeof import('@datadog/native-appsec')
const require = createRequire(import.meta.url)
const { DDWAF } = require('@datadog/native-appsec') as NativeAppsec
type Ddwaf = InstanceType<NativeAppsec['DDWAF']>

/** libddwaf truncates longer strings; windows overlap so a payload cannot straddle a cut unseen. */
const WINDOW_CHARS = 4096
const WINDOW_STEP = 3584
/** libddwaf inspects at most 256 entries of one container. */
const GROUP_SIZE = 250

const ADDRESSES: Record<RuleTarget, string> = {
  path: 'server.request.path_params',
  query: 'server.request.query',
  cookie: 'server.request.cookies',
  body: 'server.request.body',
  headers: 'server.request.headers.no_cookies',
  keys: 'portcullis.request.keys',
  filenames: 'portcullis.request.filenames',
}
const SOURCE_TARGET: Record<Source, RuleTarget> = { path: 'path', query: 'query', cookie: 'cookie', body: 'body', header: 'headers' }
const DEFAULT_TARGETS: RuleTarget[] = ['path', 'query', 'cookie', 'body', 'headers', 'keys']
/** Headers that carry a file name for upload endpoints. */
const FILENAME_HEADERS = new Set(['header.x-filename', 'header.x_filename', 'header.x.filename', 'header.x-file-name'])

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
}

/** A compiled engine for one rule selection. */
export interface DdwafEngine {
  readonly rules: ReadonlyMap<string, CompiledRule>
  /** Runs every rule over the values within `timeoutMs`. */
  run(values: readonly InspectedValue[], timeoutMs: number): EngineResult
  /** Frees the native instance. */
  dispose(): void
}

/** Translates one Portcullis rule into libddwaf's rule format (schema 2.x). */
function toDdwafRule(rule: CompiledRule): object {
  const inputs = (rule.targets ?? DEFAULT_TARGETS).map((t) => ({ address: ADDRESSES[t] }))
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

/**
 * Compiles the rules into a libddwaf instance. Throws (at policy creation, never per request)
 * when libddwaf rejects a rule, so a broken pattern cannot silently disable detection.
 */
export function createDdwafEngine(rules: readonly CompiledRule[]): DdwafEngine {
  const byId = new Map(rules.map((r) => [r.id, r]))
  const waf: Ddwaf = new DDWAF({ version: '2.2', metadata: { rules_version: 'portcullis-1' }, rules: rules.map(toDdwafRule) }, 'portcullis/injection-guard')
  const diagnostics = waf.diagnostics.rules
  if (diagnostics && 'failed' in diagnostics && diagnostics.failed.length > 0) {
    const errors = JSON.stringify(diagnostics.errors)
    waf.dispose()
    throw new Error(`injection-guard: libddwaf rejected rules ${diagnostics.failed.join(', ')}: ${errors}`)
  }
  const engine: DdwafEngine = {
    rules: byId,
    run(values, timeoutMs) {
      if (values.length === 0 || byId.size === 0) return { matches: [], timedOut: false }
      const context = waf.createContext()
      try {
        const result = context.run({ ephemeral: buildPayload(values) }, timeoutMs * 1000)
        return { matches: resolveMatches(result.events ?? [], values, byId), timedOut: result.timeout }
      } finally {
        context.dispose()
      }
    },
    dispose() {
      if (!waf.disposed) waf.dispose()
    },
  }
  // RE2 builds its automata lazily: one warm-up run at creation keeps that cost (tens of
  // milliseconds) off the first real request and out of its time budget.
  engine.run(WARM_UP, 1000)
  return engine
}

const WARM_UP: InspectedValue[] = (['path', 'query', 'cookie', 'body', 'header'] as const).flatMap((source) => [
  { source, location: `${source}.warm`, value: "warm-up ' or 1=1 -- <script>alert(1)</script> ; cat /etc/passwd ${jndi:x} {{7*7}} http://127.0.0.1/" },
  { source, location: `${source}.warm`, value: 'warm', isKey: true },
])

/** Builds `{ address: { index: value } }`, grouping big maps and windowing long strings. */
function buildPayload(values: readonly InspectedValue[]): Record<string, unknown> {
  const maps = new Map<string, Record<string, string>[]>()
  const put = (target: RuleTarget, key: string, text: string): void => {
    const address = ADDRESSES[target]
    let groups = maps.get(address)
    if (!groups) maps.set(address, (groups = [{}]))
    let last = groups[groups.length - 1]!
    if (Object.keys(last).length >= GROUP_SIZE) groups.push((last = {}))
    last[key] = text
  }
  values.forEach((v, index) => {
    const target: RuleTarget = v.isKey ? 'keys' : SOURCE_TARGET[v.source]
    const isFilename = !v.isKey && (v.location.endsWith('.filename') || FILENAME_HEADERS.has(v.location))
    if (v.value.length <= WINDOW_CHARS) {
      put(target, String(index), v.value)
      if (isFilename) put('filenames', String(index), v.value)
      return
    }
    for (let start = 0, w = 0; start < v.value.length; start += WINDOW_STEP, w++) {
      put(target, `${index}:${w}`, v.value.slice(start, start + WINDOW_CHARS))
      if (start + WINDOW_CHARS >= v.value.length) break
    }
  })
  const payload: Record<string, unknown> = {}
  for (const [address, groups] of maps) {
    payload[address] = groups.length === 1 ? groups[0] : Object.fromEntries(groups.map((g, i) => [`g${i}`, g]))
  }
  return payload
}

interface RawEvent {
  rule?: { id?: string }
  rule_matches?: { parameters?: { key_path?: (string | number)[]; highlight?: string[] }[] }[]
}

function resolveMatches(events: object[], values: readonly InspectedValue[], byId: ReadonlyMap<string, CompiledRule>): EngineMatch[] {
  const matches: EngineMatch[] = []
  for (const raw of events as RawEvent[]) {
    const rule = byId.get(raw.rule?.id ?? '')
    const parameter = raw.rule_matches?.[0]?.parameters?.[0]
    if (!rule || !parameter) continue
    const path = parameter.key_path ?? []
    const last = String(path[path.length - 1] ?? '')
    const value = values[Number.parseInt(last, 10)]
    if (!value) continue
    matches.push({ rule, value, highlight: parameter.highlight?.[0] })
  }
  return matches
}
