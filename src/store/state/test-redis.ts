/**
 * Test helpers for the Redis state store: the shared test Redis URL with the skip-or-fail rule,
 * and a private `redis-server` on an ephemeral port that a test may kill and restart (never the
 * shared one).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

/** The shared test Redis (PORTCULLIS_TEST_REDIS_URL, default the loopback service). */
export function testRedisUrl(): string {
  return process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
}

/**
 * Resolves to false (a skip reason) when Redis answers, or the loud reason it cannot be used.
 * Under CI=true an unreachable Redis throws instead: CI must not pass by skipping.
 */
export async function redisSkipReason(url = testRedisUrl()): Promise<string | false> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.ping()
    return false
  } catch (error) {
    const reason = `Redis unreachable at ${url}: ${(error as Error).message}`
    if (process.env.CI === 'true') throw new Error(reason)
    console.warn(`\n*** SKIPPING Redis tests — ${reason} ***\n`)
    return reason
  } finally {
    client.disconnect()
  }
}

/** A free loopback TCP port (bound then released; a tiny race, acceptable in tests). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

/** A private redis-server the test owns: start, kill, start again on the same port. */
export interface PrivateRedis {
  url: string
  port: number
  /** Starts it (again); resolves when it accepts connections. */
  start(): Promise<void>
  /** Kills it (SIGKILL, as a crash would) and waits for the exit. */
  kill(): Promise<void>
  /** Freezes it (SIGSTOP): connections stay open and nothing answers, as a hung server. */
  pause(): void
  /** Thaws a paused server (SIGCONT). */
  resume(): void
}

/** Creates (and starts) a private redis-server; null when the binary is missing. */
export async function startPrivateRedis(): Promise<PrivateRedis | null> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const handle: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
      child = proc
      await new Promise<void>((resolve, reject) => {
        let output = ''
        proc.on('error', reject)
        proc.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)))
        proc.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          if (output.includes('Ready to accept connections')) resolve()
        })
      })
    },
    async kill() {
      const proc = child
      if (proc === undefined || proc.exitCode !== null) return
      const exited = once(proc, 'exit')
      proc.kill('SIGKILL')
      await exited
    },
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
  }
  try {
    await handle.start()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  return handle
}
