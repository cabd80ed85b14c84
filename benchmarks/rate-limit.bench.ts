/**
 * Micro-benchmark of the rate-limit hot path, in CPU time (steady on a shared machine, unlike
 * calls per second):
 * - the state store's consume() on memory and Redis (two limits per call, as a typical route),
 *   sequential and 64 in flight;
 * - the policy handler's onRequest (the policy bench's route: one GCRA limit per client IP) on
 *   memory and on Redis, 64 requests in flight.
 * Each row gives this process's CPU µs per call, Redis server CPU µs per call (INFO cpu delta:
 * server-wide, so other Redis users during the run inflate it) and, on Redis, commands sent per
 * call counted on the client (every command ioredis sends; no MONITOR needed). The Redis store
 * batches the consume() calls of one event-loop turn into one command, so with calls in flight
 * this reads well below 1 (1 / calls per batch); sequential calls read 1.
 *
 *   node --import tsx benchmarks/rate-limit.bench.ts [redis://127.0.0.1:6379]
 * env: BENCH_SECONDS (per row, default 3)
 */
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { pino } from 'pino'
import { RequestContext } from '../src/core/context.js'
import type { PolicyHandler } from '../src/core/types.js'
import { createMetrics } from '../src/observe/metrics.js'
import { createRateLimitHandler } from '../src/policies/rate-limit/rate-limit.js'
import type { RateLimitConfig } from '../src/policies/rate-limit/schema.js'
import { createMemoryStateStore } from '../src/store/state/memory.js'
import { createRedisStateStore, type RedisStateStore } from '../src/store/state/redis.js'
import { createResilientStateStore } from '../src/store/state/resilient.js'
import type { LimitCheck, StateStore } from '../src/store/state/types.js'

const redisUrl = process.argv[2] ?? process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const seconds = Number(process.env.BENCH_SECONDS ?? 3)

function checksFor(i: number): LimitCheck[] {
  const who = `consumer-${i % 1000}`
  return [
    { key: `${who}:s`, algorithm: 'gcra', limit: 1_000_000, windowMs: 1000, burst: 1000 },
    { key: `${who}:h`, algorithm: 'sliding-window', limit: 50, windowMs: 1000 },
  ]
}

/** What one measured row reports. */
interface Measured {
  calls: number
  cpuUs: number
  redisCpuUs: number
}

/** Runs `once` with `concurrency` callers for `durationMs`; CPU of this process and of Redis. */
async function measure(once: (i: number) => unknown, concurrency: number, durationMs: number, redis?: RedisStateStore): Promise<Measured> {
  let calls = 0
  let i = 0
  const redisBefore = redis ? await redisCpuMs(redis) : 0
  const cpuBefore = process.cpuUsage()
  const end = performance.now() + durationMs
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once(i++)
        calls++
      }
    }),
  )
  const cpu = process.cpuUsage(cpuBefore)
  const redisAfter = redis ? await redisCpuMs(redis) : 0
  return { calls, cpuUs: cpu.user + cpu.system, redisCpuUs: (redisAfter - redisBefore) * 1000 }
}

/** Redis server CPU (user + sys) in ms, from INFO cpu. */
async function redisCpuMs(redis: RedisStateStore): Promise<number> {
  const info = await redis.client.info('cpu')
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000
}

/** Counts every command the client sends (each is one request on the wire). */
function countCommands(redis: RedisStateStore): { reset(): void; readonly sent: number } {
  let sent = 0
  const send = redis.client.sendCommand.bind(redis.client)
  redis.client.sendCommand = (command, stream) => {
    sent++
    return send(command, stream)
  }
  return {
    reset: () => void (sent = 0),
    get sent() {
      return sent
    },
  }
}

/** A request context as the pipeline hands it to the policy (no socket behind it). */
function contextFor(i: number): RequestContext {
  const res = { headersSent: false, setHeader: () => res, once: () => res, off: () => res } as unknown as ServerResponse
  const ctx = new RequestContext({
    id: 'bench',
    req: { headers: {}, method: 'GET' } as never,
    res,
    path: '/v1/stations/stn_1',
    rawQuery: '',
    clientIp: `10.0.${(i >> 8) & 255}.${i & 255}`,
    secure: false,
    maxBodyBytes: 1024,
    bodyTimeoutMs: 1000,
  })
  ctx.route = { name: 'bench' }
  return ctx
}

/** The policy bench's route: per client IP, far above what one machine can send (never a 429). */
const ROUTE_CONFIG = { limits: [{ name: 'bench', key: ['ip'], limit: 1_000_000, window: '1s' }] } as unknown as RateLimitConfig

function handlerOn(state: StateStore): PolicyHandler {
  const deps = { state, logger: pino({ level: 'silent' }), metrics: createMetrics(), data: { incrementQuota: async () => 1 } }
  return createRateLimitHandler(ROUTE_CONFIG, deps)
}

const rows: Record<string, unknown>[] = []
const durationMs = seconds * 1000
const row = (what: string, concurrency: number, m: Measured, extra: Record<string, unknown> = {}): void => {
  rows.push({
    what,
    concurrency,
    'calls/s': Math.round(m.calls / seconds),
    'CPU µs/call': (m.cpuUs / m.calls).toFixed(2),
    ...(m.redisCpuUs ? { 'Redis CPU µs/call': (m.redisCpuUs / m.calls).toFixed(2) } : {}),
    ...extra,
  })
}

// A few hundred client IPs, contexts built once: the rows measure the policy, not the fixture.
const contexts = Array.from({ length: 512 }, (_, i) => contextFor(i))
const memory = createMemoryStateStore()
for (const c of [1, 64]) row('memory consume (2 limits)', c, await measure((i) => memory.consume(checksFor(i)), c, durationMs))
const memoryHandler = handlerOn(memory)
await measure((i) => memoryHandler.onRequest(contexts[i & 511]!), 64, 500)
row('memory onRequest (1 limit)', 64, await measure((i) => memoryHandler.onRequest(contexts[i & 511]!), 64, durationMs))
await memory.close()

try {
  const redis = await createRedisStateStore(redisUrl, { keyPrefix: `bench:${randomBytes(4).toString('hex')}:` })
  await redis.ping()
  const commands = countCommands(redis)
  for (const c of [1, 64]) {
    commands.reset()
    const m = await measure((i) => redis.consume(checksFor(i)), c, durationMs, redis)
    row('redis consume (2 limits)', c, m, { 'commands/call': (commands.sent / m.calls).toFixed(3) })
  }
  const redisHandler = handlerOn(createResilientStateStore(redis))
  await measure((i) => redisHandler.onRequest(contexts[i & 511]!), 64, 500)
  commands.reset()
  const m = await measure((i) => redisHandler.onRequest(contexts[i & 511]!), 64, durationMs, redis)
  row('redis onRequest (1 limit)', 64, m, { 'commands/call': (commands.sent / m.calls).toFixed(3) })
  await redis.close()
} catch (error) {
  rows.push({ what: 'redis', error: `skipped: ${(error as Error).message}` })
}
console.table(rows)
