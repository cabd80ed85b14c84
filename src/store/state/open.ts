/**
 * Opens the state store named in config: `memory` or `redis://host:port` (`rediss://` for TLS).
 * Redis is wrapped in the circuit breaker, so a dead Redis fails fast and recovers on its own.
 */
import { createMemoryStateStore, type MemoryStateStoreOptions } from './memory.js'
import { createRedisStateStore, type RedisStateStoreOptions } from './redis.js'
import { createResilientStateStore, type ResilientOptions, type ResilientStateStore } from './resilient.js'
import type { StateStore } from './types.js'

/** Options for `openStateStore`. */
export interface OpenStateStoreOptions {
  memory?: MemoryStateStoreOptions
  redis?: RedisStateStoreOptions
  /** Breaker settings and the state-change callback (metrics, logs). */
  breaker?: ResilientOptions
}

/**
 * Opens a state store from its URL. Memory needs no breaker (it cannot be unreachable); Redis
 * comes back wrapped, with `degraded` reflecting the breaker.
 */
export async function openStateStore(url: string, options: OpenStateStoreOptions = {}): Promise<StateStore | ResilientStateStore> {
  if (url === 'memory' || url === 'memory:') return createMemoryStateStore(options.memory)
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const inner = await createRedisStateStore(url, options.redis)
    return createResilientStateStore(inner, options.breaker)
  }
  throw new RangeError(`unsupported state store URL (expected "memory" or "redis://host:port"): ${redactUrl(url)}`)
}

/** Never echo a password from a URL into an error message. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}
