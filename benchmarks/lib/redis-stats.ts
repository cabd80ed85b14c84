/**
 * Server-side Redis figures for benchmarks: total commands executed (INFO commandstats), and
 * cleanup of a benchmark's key prefix. Server-wide by nature — anyone else using the same Redis
 * during the run is counted too, which is why targets also count their own commands.
 */
import { Redis } from 'ioredis'

/** A connection to the benchmark's Redis. */
export interface RedisCounter {
  /**
   * `calls` per command from INFO commandstats, without INFO itself. Redis counts commands a Lua
   * script runs (redis.call) here too, so this is work done, not round trips.
   */
  commandCalls(): Promise<Map<string, number>>
  /** The server's process id (INFO server), to read its CPU time when it runs on this machine. */
  serverPid(): Promise<number | undefined>
  /** Deletes keys matching `pattern` (SCAN, never KEYS). */
  deleteKeys(pattern: string): Promise<number>
  close(): Promise<void>
}

/** Per-command difference `after - before`, only commands that changed. */
export function diffCalls(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const delta = new Map<string, number>()
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0)
    if (d > 0) delta.set(name, d)
  }
  return delta
}

/** Connects (failing fast when Redis is unreachable). */
export async function createRedisCounter(url: string): Promise<RedisCounter> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    client.disconnect()
    throw error
  }
  return {
    async commandCalls() {
      const info = await client.info('commandstats')
      const calls = new Map<string, number>()
      for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') calls.set(m[1]!, Number(m[2]))
      return calls
    },
    async serverPid() {
      const pid = /^process_id:(\d+)/m.exec(await client.info('server'))?.[1]
      return pid === undefined ? undefined : Number(pid)
    },
    async deleteKeys(pattern) {
      let cursor = '0'
      let deleted = 0
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) deleted += await client.del(...keys)
      } while (cursor !== '0')
      return deleted
    },
    async close() {
      await client.quit().catch(() => client.disconnect())
    },
  }
}
