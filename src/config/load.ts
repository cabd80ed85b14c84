/**
 * YAML (+ `${ENV}` substitution) → Ajv validation with every error, each with its JSON pointer and
 * YAML line → defaults applied → normalised and frozen. Nothing half-valid ever reaches the gateway.
 */
import { readFile } from 'node:fs/promises'
import addFormats from 'ajv-formats'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import { ConfigSchema, type RawConfig } from './schema.js'
import { normalizeConfig, type Config } from './config.js'
import { isCidr } from '../core/cidr.js'
import type { Policy } from '../core/types.js'

/** One configuration problem, located for humans and tools. */
export interface ConfigIssue {
  pointer: string
  message: string
  line?: number | undefined
}

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigIssue[] }

/** Thrown by `loadConfigFile` callers that want an exception; carries every issue. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  constructor(issues: ConfigIssue[], source = 'configuration') {
    super(`Invalid ${source}:\n${formatIssues(issues)}`)
    this.issues = issues
  }
}

/** One issue per line: `line 12  /routes/0/upstream  must be string`. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${i.line ? `line ${i.line}`.padEnd(9) : ''.padEnd(9)}${i.pointer || '/'}  ${i.message}`).join('\n')
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false })
// Custom formats shared by the root schema and every policy schema.
addFormats.default(ajv)
ajv.addFormat('ip-or-cidr', { type: 'string', validate: isCidr })
const validateRoot = ajv.compile(ConfigSchema)
const policyValidators = new WeakMap<Policy, ValidateFunction>()

/** Reads and validates a YAML file. */
export async function loadConfigFile(path: string, registry: ReadonlyMap<string, Policy>, env = process.env): Promise<LoadResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return { ok: false, errors: [{ pointer: '', message: `cannot read ${path}: ${(error as Error).message}` }] }
  }
  return loadConfigText(text, registry, env)
}

/** Validates YAML text (or JSON, a subset of YAML). */
export function loadConfigText(text: string, registry: ReadonlyMap<string, Policy>, env = process.env): LoadResult {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ pointer: '', message: e.message.split('\n')[0] ?? e.message, line: e.linePos?.[0].line })) }
  }
  const data = substituteEnv(doc.toJS() ?? {}, env)
  return validateConfigObject(data, registry, (pointer) => lineOf(doc, lineCounter, pointer))
}

/** Validates an already-parsed object (used by demo mode and embedders). */
export function validateConfigObject(
  data: unknown,
  registry: ReadonlyMap<string, Policy>,
  locate: (pointer: string) => number | undefined = () => undefined,
): LoadResult {
  const issues: ConfigIssue[] = []
  const add = (pointer: string, message: string): void => {
    issues.push({ pointer, message, line: locate(pointer) })
  }
  if (!validateRoot(data)) {
    for (const e of validateRoot.errors ?? []) add(...describeAjvError(e, ''))
    return { ok: false, errors: issues }
  }
  const raw = data as RawConfig
  checkReferences(raw, registry, add)
  if (issues.length > 0) return { ok: false, errors: issues }
  return { ok: true, config: normalizeConfig(raw) }
}

/** Cross-field rules JSON Schema cannot express: upstream names, policy names and their configs. */
function checkReferences(raw: RawConfig, registry: ReadonlyMap<string, Policy>, add: (pointer: string, message: string) => void): void {
  const names = new Set<string>()
  raw.routes.forEach((route, r) => {
    if (names.has(route.name)) add(`/routes/${r}/name`, `duplicate route name ${JSON.stringify(route.name)}`)
    names.add(route.name)
    if (!Object.hasOwn(raw.upstreams, route.upstream)) add(`/routes/${r}/upstream`, `unknown upstream ${JSON.stringify(route.upstream)}`)
    route.policies.forEach((p, i) => checkPolicy(p, `/routes/${r}/policies/${i}`, registry, add))
  })
  raw.policies.forEach((p, i) => checkPolicy(p, `/policies/${i}`, registry, add))
}

function checkPolicy(instance: RawConfig['policies'][number], pointer: string, registry: ReadonlyMap<string, Policy>, add: (pointer: string, message: string) => void): void {
  const policy = registry.get(instance.name)
  if (!policy) {
    add(`${pointer}/name`, `unknown policy ${JSON.stringify(instance.name)} (known: ${[...registry.keys()].join(', ')})`)
    return
  }
  let validate = policyValidators.get(policy)
  if (!validate) {
    validate = ajv.compile(policy.schema)
    policyValidators.set(policy, validate)
  }
  if (!validate(instance.config)) {
    for (const e of validate.errors ?? []) add(...describeAjvError(e, `${pointer}/config`))
    return
  }
  for (const issue of policy.check?.(instance.config as never) ?? []) add(`${pointer}/config${issue.path === '/' ? '' : issue.path}`, issue.message)
}

function describeAjvError(e: ErrorObject, base: string): [string, string] {
  const pointer = base + e.instancePath
  if (e.keyword === 'additionalProperties') return [`${pointer}/${String(e.params.additionalProperty)}`, 'unknown property']
  if (e.keyword === 'required') return [pointer, `missing required property ${JSON.stringify(e.params.missingProperty)}`]
  return [pointer, e.message ?? e.keyword]
}

/** `${NAME}` and `${NAME:-default}` in string values, so secrets can stay in the environment. */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]{1,128})(?::-([^}]{0,1024}))?\}/g, (_, name: string, fallback?: string) => env[name] ?? fallback ?? '')
  }
  if (Array.isArray(value)) return value.map((v) => substituteEnv(v, env))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env)]))
  return value
}

/** The 1-based line of the YAML node at a JSON pointer (or its nearest existing ancestor). */
function lineOf(doc: Document, counter: LineCounter, pointer: string): number | undefined {
  const path = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
  for (let len = path.length; len >= 0; len--) {
    const node = doc.getIn(path.slice(0, len), true)
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line
  }
  return undefined
}
