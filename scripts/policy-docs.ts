/**
 * `npm run docs`: writes docs/policies/<name>.reference.md for every registered policy, generated
 * from its TypeBox schema (properties, types, defaults, descriptions), so the reference cannot
 * drift from the code. Hand-written guides (docs/policies/<name>.md) link to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRegistry } from '../src/policies/registry.js'

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; const?: unknown; default?: unknown; description?: string; required?: string[]; additionalProperties?: Schema | boolean; minimum?: number; maximum?: number; pattern?: string; format?: string }

function typeOf(s: Schema): string {
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ')
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`
  return s.type ?? 'any'
}

function rows(schema: Schema, prefix: string, out: string[]): void {
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name
    const required = schema.required?.includes(name) && prop.default === undefined ? ' (required)' : ''
    const fallback = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``
    out.push(`| \`${path}\`${required} | ${typeOf(prop)} | ${fallback} | ${(prop.description ?? '').replace(/\|/g, '\\|')} |`)
    if (prop.type === 'object' && prop.properties) rows(prop, `${path}.`, out)
    if (prop.type === 'array' && prop.items?.properties) rows(prop.items, `${path}[].`, out)
  }
}

mkdirSync('docs/policies', { recursive: true })
for (const policy of createRegistry().values()) {
  const out = [
    `# \`${policy.name}\` — configuration reference`,
    '',
    `Stage: **${policy.stage}**. Generated from the policy's schema by \`npm run docs\`; do not edit by hand.`,
    '',
    '| property | type | default | description |',
    '|---|---|---|---|',
  ]
  rows(policy.schema as Schema, '', out)
  writeFileSync(`docs/policies/${policy.name}.reference.md`, out.join('\n') + '\n')
  process.stdout.write(`docs/policies/${policy.name}.reference.md\n`)
}
