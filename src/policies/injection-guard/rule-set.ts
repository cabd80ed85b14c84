/**
 * Portcullis's own rule set: one JSON file per category in `rules/`, owned and versioned with the
 * code. This module loads them, checks their shape once, and picks the rules a configuration runs.
 */
import { readFileSync } from 'node:fs'
import { CATEGORIES, type Category } from './schema.js'
import type { CompiledRule, RuleFile } from './rule-types.js'

/**
 * Reads one built-in rule file at module load. Plain reads rather than JSON import attributes,
 * which Node 20 still flags as experimental; the build copies `rules/*.json` next to this module.
 */
function loadRuleFile(name: Category): RuleFile {
  return JSON.parse(readFileSync(new URL(`./rules/${name}.json`, import.meta.url), 'utf8')) as RuleFile
}

/** The built-in rule files, one per category. */
export const BUILTIN_RULE_FILES: readonly RuleFile[] = CATEGORIES.map(loadRuleFile)

const SEVERITIES = new Set(['critical', 'error', 'warning', 'notice'])
const OPERATORS = new Set(['is_sqli', 'is_xss', 'match_regex', 'phrase_match'])

/** Flattens rule files into rules with their category, rejecting malformed or duplicate rules. */
export function compileRuleFiles(files: readonly RuleFile[]): CompiledRule[] {
  const seen = new Set<string>()
  const out: CompiledRule[] = []
  for (const file of files) {
    if (!(CATEGORIES as readonly string[]).includes(file.category)) throw new Error(`injection-guard: unknown rule category ${file.category}`)
    for (const rule of file.rules) {
      const where = `injection-guard rule ${rule.id}`
      if (seen.has(rule.id)) throw new Error(`${where}: duplicate id`)
      if (![1, 2, 3, 4].includes(rule.pl)) throw new Error(`${where}: paranoia level must be 1-4`)
      if (!SEVERITIES.has(rule.severity)) throw new Error(`${where}: unknown severity ${rule.severity}`)
      if (!OPERATORS.has(rule.operator)) throw new Error(`${where}: unknown operator ${rule.operator}`)
      if (rule.operator === 'match_regex' && !rule.regex) throw new Error(`${where}: match_regex needs a regex`)
      if (rule.operator === 'phrase_match' && !rule.list?.length) throw new Error(`${where}: phrase_match needs a list`)
      seen.add(rule.id)
      out.push({ ...rule, category: file.category })
    }
  }
  return out
}

/** The rules that run at `paranoia` for the enabled categories. */
export function selectRules(paranoia: number, categories: readonly Category[], files: readonly RuleFile[] = BUILTIN_RULE_FILES): CompiledRule[] {
  const enabled = new Set<string>(categories)
  return compileRuleFiles(files).filter((r) => r.pl <= paranoia && enabled.has(r.category))
}
