/**
 * Micro-benchmark of the state store's hot path: consume() calls per second on memory and Redis
 * (two limits per call, as a typical route), sequential and 64 in flight, plus round trips per
 * check counted on the client (every command ioredis sends) — no MONITOR needed.
 *
 *   node --import tsx benchmarks/rate-limit.bench.ts [redis://127.0.0.1:6379]
 */
import { randomBytes } from 'node:crypto'
import { createMemoryStateStore } from '../src/store/state/memory.js'
import { createRedisStateStore } from '../src/store/state/redis.js'
import type { LimitCheck, StateStore } from '../src/store/state/types.js'

const redisUrl = process.argv[2] ?? process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

function checksFor(i: number): LimitCheck[] {
  const who = `consumer-${i % 1000}`
  return [
    { key: `${who}:s`, algorithm: 'gcra', limit: 1_000_000, windowMs: 1000, burst: 1000 },
    { key: `${who}:h`, algorithm: 'sliding-window', limit: 50, windowMs: 1000 },
  ]
}

async function measure(store: StateStore, concurrency: number, durationMs: number): Promise<number> {
  let done = 0
  let i = 0
  const end = performance.now() + durationMs
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await store.consume(checksFor(i++))
        done++
      }
    }),
  )
  return Math.round(done / (durationMs / 1000))
}

const rows: Record<string, unknown>[] = []
const memory = createMemoryStateStore()
for (const c of [1, 64]) rows.push({ store: 'memory', concurrency: c, 'consume/s': await measure(memory, c, 2000) })
await memory.close()

try {
  const redis = await createRedisStateStore(redisUrl, { keyPrefix: `bench:${randomBytes(4).toString('hex')}:` })
  await redis.ping()
  let sent = 0
  const send = redis.client.sendCommand.bind(redis.client)
  redis.client.sendCommand = (command, stream) => {
    sent++
    return send(command, stream)
  }
  for (const c of [1, 64]) {
    sent = 0
    const perSecond = await measure(redis, c, 3000)
    rows.push({ store: 'redis', concurrency: c, 'consume/s': perSecond, 'round trips/consume': (sent / (perSecond * 3)).toFixed(3) })
  }
  await redis.close()
} catch (error) {
  rows.push({ store: 'redis', error: `skipped: ${(error as Error).message}` })
}
console.table(rows)
