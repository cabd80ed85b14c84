/**
 * The shape of Portcullis's own rule set (the JSON files in `rules/`). Rules are data: the engine
 * compiles them into a libddwaf ruleset once, at policy creation.
 */
import type { Category } from './schema.js'

/** CRS anomaly severities; each adds its points to the request's score. */
export type Severity = 'critical' | 'error' | 'warning' | 'notice'

/**
 * What a rule inspects: a value source, `keys` (parameter and object names), `filenames`
 * (multipart file names and `X-Filename`-style headers) or `headers` (the inspected headers).
 */
export type RuleTarget = 'path' | 'query' | 'cookie' | 'body' | 'headers' | 'keys' | 'filenames'

/** One detection rule. */
export interface RuleDefinition {
  /** Stable id, `pc-<category>-<n>`, used in events and exclusions. */
  id: string
  name: string
  /** OWASP CRS paranoia level at which the rule starts to run (1–4). */
  pl: 1 | 2 | 3 | 4
  severity: Severity
  /**
   * libddwaf operator: `is_sqli` / `is_xss` (libinjection), `match_regex` (RE2, linear time),
   * `phrase_match` (Aho-Corasick).
   */
  operator: 'is_sqli' | 'is_xss' | 'match_regex' | 'phrase_match'
  regex?: string
  caseSensitive?: boolean
  minLength?: number
  list?: string[]
  wordBoundary?: boolean
  /** Defaults to every value source plus keys. */
  targets?: RuleTarget[]
  /** libddwaf transformers, applied in order before the operator (e.g. `lowercase`). */
  transformers?: string[]
}

/** One rules file: a category and its rules. */
export interface RuleFile {
  category: Category
  rules: RuleDefinition[]
}

/** A rule with its category, as the engine and scoring see it. */
export interface CompiledRule extends RuleDefinition {
  category: Category
}
