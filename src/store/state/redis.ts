/**
 * Redis state store (ioredis). Every operation is at most one round trip: the atomic ones are Lua
 * scripts loaded once with SCRIPT LOAD and invoked with EVALSHA; a NOSCRIPT reply (Redis restarted
 * or SCRIPT FLUSH) reloads the script and retries once. Rate-limit checks are batched into one
 * EVALSHA per turn, or per round trip under load (`consume-batch.ts`); the others are auto-pipelined
 * (those issued in one turn share one socket write). The offline queue is disabled so a dead
 * Redis fails a command at once instead of queueing it; the resilient wrapper turns those
 * failures into a fast-failing circuit breaker.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import { createConsumeBatcher } from './consume-batch.js'
import { ACQUIRE_SCRIPT, CONSUME_SCRIPT, INCREMENT_SCRIPT } from './lua.js'
import type { StateStore } from './types.js'

/** Options of the Redis store. */
export interface RedisStateStoreOptions {
  /** Prepended to every key, so several gateways (or test files) can share one Redis. */
  keyPrefix?: string
  /**
   * A command not answered within this is failed (a hung Redis). Keep it well above the latency
   * under peak load: a timed-out command may still have executed. Default 1000.
   */
  commandTimeoutMs?: number
  /** TCP connect timeout (default 2000). */
  connectTimeoutMs?: number
  /** How long `createRedisStateStore` waits for the first connection (default 2000). */
  readyTimeoutMs?: number
  /** Extra ioredis options (advanced: TLS, auth, db). */
  redis?: RedisOptions
}

/** The Redis store, with its client exposed for diagnostics (INFO, benchmarks). */
export interface RedisStateStore extends StateStore {
  readonly client: Redis
}

interface Script {
  source: string
  sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Connects to `url` (`redis://host:port[/db]`, `rediss://` for TLS). Resolves once connected, or
 * after `readyTimeoutMs` with the client still reconnecting in the background: a gateway must be
 * able to start (and answer per `onStoreError`) while Redis is down; `ping()` tells readiness.
 */
export async function createRedisStateStore(url: string, options: RedisStateStoreOptions = {}): Promise<RedisStateStore> {
  const prefix = options.keyPrefix ?? 'portcullis:'
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    // Reconnect forever with a short capped backoff: recovery must be automatic.
    retryStrategy: (times) => Math.min(50 * times, 1000),
    // Fewer writes and syscalls on both ends under load. EVALSHA is left out: consume batches
    // itself and must not wait behind an in-flight pipeline (ioredis runs one at a time).
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: ['evalsha'],
    ...options.redis,
  })
  // Without a listener ioredis reports connection errors on stderr; the wrapper reports state.
  client.on('error', () => undefined)
  const scripts = { consume: script(CONSUME_SCRIPT), increment: script(INCREMENT_SCRIPT), acquire: script(ACQUIRE_SCRIPT) }
  const loadAll = async (): Promise<void> => {
    await Promise.all(Object.values(scripts).map((s) => client.script('LOAD', s.source)))
  }
  client.on('ready', () => {
    loadAll().catch(() => undefined)
  })

  const evalsha = async (s: Script, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await client.evalsha(s.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      await client.script('LOAD', s.source)
      return await client.evalsha(s.sha, keys.length, ...keys, ...args)
    }
  }

  await Promise.race([
    client.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, options.readyTimeoutMs ?? 2000).unref()),
  ])

  const consume = createConsumeBatcher({ keyPrefix: prefix, run: (keys, args) => evalsha(scripts.consume, keys, args) })
  const leasePrefix = randomBytes(6).toString('base64url')
  let leaseSeq = 0

  return {
    kind: 'redis',
    client,
    async ping() {
      await client.ping()
    },
    async close() {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
      else client.disconnect()
    },

    consume,

    async setIfAbsent(key, value, ttlMs) {
      return (await client.set(prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK'
    },
    async get(key) {
      return await client.get(prefix + key)
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await client.set(prefix + key, value)
      else await client.set(prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)))
    },
    async delete(key) {
      await client.del(prefix + key)
    },
    async increment(key, by, ttlMs) {
      return Number(await evalsha(scripts.increment, [prefix + key], [Math.trunc(by), Math.max(1, Math.ceil(ttlMs))]))
    },

    async acquire(key, max, leaseTtlMs) {
      const id = `${leasePrefix}.${++leaseSeq}`
      const ok = await evalsha(scripts.acquire, [prefix + key], ['', max, Math.max(1, Math.ceil(leaseTtlMs)), id])
      return ok === 1 ? id : null
    },
    async release(key, leaseId) {
      await client.zrem(prefix + key, leaseId)
    },
  }
}
