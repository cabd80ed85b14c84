/**
 * The body-based checks: reading the request body as JSON (only when a rule needs it), the tenant
 * named in the body, and property rules (mass-assignment guard) that refuse or strip fields.
 */
import type { RequestContext } from '../../core/context.js'
import type { Rejection } from '../../core/types.js'
import { compileFieldPath, forEachMatch, isJsonMediaType, parseJsonStrict, removeAt, type FieldPath } from './json-body.js'

/** A property rule ready for use. */
export interface CompiledPropertyRule {
  path: FieldPath
  roles: readonly string[]
  action: 'refuse' | 'strip'
}

/** Compiles property rules from config. */
export function compilePropertyRules(rules: readonly { field: string; roles?: readonly string[] | undefined; action?: 'refuse' | 'strip' | undefined }[]): CompiledPropertyRule[] {
  return rules.map((r) => ({ path: compileFieldPath(r.field), roles: Object.freeze([...(r.roles ?? [])]), action: r.action ?? 'refuse' }))
}

/** The body as the policy sees it: absent, or a parsed JSON value. */
export type JsonBody = { present: false } | { present: true; value: unknown }

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/**
 * Reads and parses the body when the request has one. A body that is not declared JSON, is not
 * UTF-8, is not valid JSON or repeats a key yields a rejection: the policy cannot vouch for what
 * it cannot read the way the upstream will.
 */
export async function readJsonBody(ctx: RequestContext): Promise<JsonBody | Rejection> {
  const length = ctx.headers['content-length']
  const chunked = ctx.headers['transfer-encoding'] !== undefined
  if (!chunked && (length === undefined || length === '0')) return { present: false }
  if (!isJsonMediaType(ctx.headers['content-type'])) {
    return { code: 'ERR_UNSUPPORTED_MEDIA_TYPE', detail: 'This route accepts only JSON request bodies.', reason: `access-control needs a JSON body, got ${JSON.stringify(ctx.headers['content-type'] ?? '')}` }
  }
  const bytes = await ctx.readBody()
  if (bytes.length === 0) return { present: false }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { code: 'ERR_REQUEST_MALFORMED', detail: 'The request body is not valid UTF-8 JSON.', reason: 'body is not valid UTF-8' }
  }
  const parsed = parseJsonStrict(text)
  if (!parsed.ok) return { code: 'ERR_REQUEST_MALFORMED', detail: 'The request body is not valid JSON.', reason: parsed.reason }
  return { present: true, value: parsed.value }
}

/** Fields the property rules removed or would refuse, for one request. */
export interface PropertyOutcome {
  /** Set when a `refuse` rule matched: the field's config reference. */
  refused?: string
  /** Config references of the fields that were stripped. */
  stripped: string[]
}

/**
 * Applies property rules for a Principal whose expanded roles are `effectiveRoles`. Stripping
 * mutates `value` in place; the caller re-serialises it for the upstream.
 */
export function applyPropertyRules(rules: readonly CompiledPropertyRule[], value: unknown, effectiveRoles: ReadonlySet<string>): PropertyOutcome {
  const stripped: string[] = []
  for (const rule of rules) {
    if (rule.roles.some((r) => effectiveRoles.has(r))) continue
    let hit = false
    forEachMatch(value, rule.path, (container, key) => {
      hit = true
      if (rule.action === 'strip') removeAt(container, key)
    })
    if (!hit) continue
    if (rule.action === 'refuse') return { refused: rule.path.source, stripped }
    stripped.push(rule.path.source)
  }
  return { stripped }
}
