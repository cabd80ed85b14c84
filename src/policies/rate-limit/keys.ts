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

/**
 * Hashed keys of recently seen requests, shared by every limit in the process (the scope is part
 * of the cache key): one SHA-256 per new client instead of one per request. Bounded in entries
 * and in the length of what it holds, so client-chosen values cannot grow it; the oldest entry
 * leaves first.
 */
const recentKeys = new Map<string, string>()
const RECENT_KEYS_MAX = 10_000
/** Longer raw values (long header values) are hashed every time rather than held. */
const RECENT_KEY_MAX_CHARS = 256

/** A compiled key builder: `scope` (limit identity) plus the request's part values, hashed. */
export function compileKey(scope: string, parts: readonly KeyPart[]): (ctx: RequestContext) => string {
  return (ctx) => {
    // The bytes hashed are scope, then NUL and the value of each part (stable across versions).
    let values = ''
    for (const part of parts) values += '\0' + keyPartValue(ctx, part)
    const raw = scope + values
    const cached = recentKeys.get(raw)
    if (cached !== undefined) return cached
    const key = `${scope}:${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}`
    if (raw.length <= RECENT_KEY_MAX_CHARS) {
      if (recentKeys.size >= RECENT_KEYS_MAX) recentKeys.delete(recentKeys.keys().next().value as string)
      recentKeys.set(raw, key)
    }
    return key
  }
}
