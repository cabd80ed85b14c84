/**
 * Exactness across processes: four gateway processes share the real Redis; a limit of 1000 per
 * minute; 10,000 concurrent requests spread over the four → exactly 1000 admitted.
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { startUpstream } from '../../../test/helpers/gateway.js'
import { redisSkipReason, testRedisUrl } from '../../store/state/test-redis.js'

const redisUrl = testRedisUrl()
const skip = await redisSkipReason(redisUrl)
const worker = fileURLToPath(new URL('./e2e/gateway-worker.ts', import.meta.url))

let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined
const children: ChildProcess[] = []
const urls: string[] = []

before(async () => {
  if (skip) return
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
  const env = {
    ...process.env,
    UPSTREAM_URL: upstream.url,
    STATE_URL: redisUrl,
    KEY_PREFIX: `test:exact:${randomBytes(6).toString('hex')}:`,
    RATE_LIMIT: JSON.stringify({ limits: [{ name: 'per-minute', key: ['route'], limit: 1000, window: '1m', algorithm: 'sliding-window' }] }),
  }
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      children.push(child)
      // Keep the workers' stderr out of the TAP stream unless one dies.
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)))
      child.once('exit', (code) => {
        if (code !== 0 && code !== null) console.error(`gateway worker exited with ${code}:\n${stderr}`)
      })
      const lines = createInterface({ input: child.stdout! })
      const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exit'])])) as [string]
      assert.notEqual(line, 'exit', 'gateway worker exited before listening')
      urls.push((JSON.parse(line) as { url: string }).url)
    }),
  )
})

after(async () => {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.stdin?.end()
      await exited
    }),
  )
  await upstream?.close()
})

it('four gateways sharing Redis admit exactly 1000 of 10,000 concurrent requests', { skip, timeout: 120_000 }, async () => {
  const agent = new Agent({ connections: 200, pipelining: 1 })
  try {
    const statuses = await Promise.all(
      Array.from({ length: 10_000 }, async (_, i) => {
        const res = await request(`${urls[i % 4]}/things/${i}`, { dispatcher: agent })
        await res.body.dump()
        return res.statusCode
      }),
    )
    const counts = new Map<number, number>()
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1)
    assert.deepEqual(Object.fromEntries(counts), { 200: 1000, 429: 9000 })
  } finally {
    await agent.close()
  }
})
