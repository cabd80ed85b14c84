/**
 * Turns a limit's key parts (`consumer`, `ip`, `header:x-client`, ...) into a store key for one
 * request. Values come from the client (header values, IPs), so the store key is a hash: bounded
 * length, no separator injection, nothing sensitive readable in Redis.
 */
import { createHash } from 'node:crypto'
import type { RequestContext } from '../../core/context.js'
import type { KeyPart } from './schema.js'

/** Reads one key part's value from a request. */
export function keyPartValue(ctx: RequestContext, part: KeyPart): string {
  const p = ctx.principal
  switch (part) {
    case 'ip':
      return `ip:${ctx.clientIp}`
    case 'route':
      return `route:${ctx.route.name}`
    case 'consumer':
      return p ? `consumer:${p.consumerId}` : `ip:${ctx.clientIp}`
    case 'key':
      return p ? `key:${p.credentialId ?? p.consumerId}` : `ip:${ctx.clientIp}`
    case 'tenant':
      return p?.tenant ? `tenant:${p.tenant}` : p ? `consumer:${p.consumerId}` : `ip:${ctx.clientIp}`
    default: {
      const name = part.slice('header:'.length).toLowerCase()
      const value = ctx.headers[name]
      return `${name}:${Array.isArray(value) ? value.join(',') : (value ?? '')}`
    }
  }
}

/** A compiled key builder: `scope` (limit identity) plus the request's part values, hashed. */
export function compileKey(scope: string, parts: readonly KeyPart[]): (ctx: RequestContext) => string {
  return (ctx) => {
    const hash = createHash('sha256').update(scope)
    for (const part of parts) hash.update('\0').update(keyPartValue(ctx, part))
    return `${scope}:${hash.digest('base64url').slice(0, 22)}`
  }
}
