/**
 * Replay prevention across processes: two gateway processes share the real Redis (nonces) and one
 * SQLite file (the HMAC credential). One signed request is good exactly once across both — sent
 * to A then B, and sent to both at the same time, one 2xx and one 401 whose logged reason is
 * the replay (not a bad signature: a fresh signature is accepted by B, proving it can verify).
 *
 * Both gateways receive the same `Host`, because `@target-uri` is covered by the signature:
 * different host:port values would make B refuse for the wrong reason.
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { signRequestHeaders } from '../../src/signing/sign.js'
import { redisSkipReason, testRedisUrl } from '../../src/store/state/test-redis.js'
import { adminClient } from '../helpers/admin.js'
import { echoHandler, startUpstream } from '../helpers/gateway.js'

const redisUrl = testRedisUrl()
// Under CI=true an unreachable Redis throws here, failing the file; otherwise a loud skip.
const skip = await redisSkipReason(redisUrl)
const workerPath = fileURLToPath(new URL('./hmac-redis-worker.ts', import.meta.url))
const HOST = 'payments.hmac-redis.test'
const PATH = '/v1/transfers'

interface Worker {
  url: string
  adminUrl: string
  child: ChildProcess
  /** Rejection reasons by request id, as the worker reports them. */
  reasons: Map<string, string>
  /** Callers waiting for a reason that has not arrived yet. */
  waiting: Map<string, (reason: string) => void>
}

let dir = ''
let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined
const workers: Worker[] = []
let credential: { keyId: string; secret: string }

async function startWorker(env: NodeJS.ProcessEnv): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerPath], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)))
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`hmac gateway worker exited with ${code}:\n${stderr}`)
  })
  const lines = createInterface({ input: child.stdout! })
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exit'])])) as [string]
  assert.notEqual(first, 'exit', `gateway worker exited before listening:\n${stderr}`)
  const { url, adminUrl } = JSON.parse(first) as { url: string; adminUrl: string }
  const worker: Worker = { url, adminUrl, child, reasons: new Map(), waiting: new Map() }
  lines.on('line', (line) => {
    const { event } = JSON.parse(line) as { event: { requestId?: string; reason?: string } }
    if (!event.requestId) return
    worker.reasons.set(event.requestId, event.reason ?? '')
    worker.waiting.get(event.requestId)?.(event.reason ?? '')
  })
  workers.push(worker)
  return worker
}

before(async () => {
  if (skip) return
  dir = await mkdtemp(join(tmpdir(), 'portcullis-hmac-redis-'))
  upstream = await startUpstream(echoHandler)
  const env = {
    ...process.env,
    UPSTREAM_URL: upstream.url,
    STATE_URL: redisUrl,
    KEY_PREFIX: `test:hmac-redis:${randomBytes(6).toString('hex')}:`,
    DATA_PATH: join(dir, 'data.db'),
    HOME_DIR: join(dir, 'home'),
  }
  // A creates the data file and the secret key; the credential is issued through its admin API;
  // only then does B open the same file and home, so B sees the credential without a copy.
  const a = await startWorker(env)
  const admin = adminClient(a.adminUrl)
  const consumer = await admin.createConsumer({ name: 'payments partner', roles: ['user'] })
  const issued = await admin.call<{ keyId: string; secret: string }>('POST', `/admin/consumers/${consumer.id}/hmac-credentials`, {})
  assert.equal(issued.status, 201, JSON.stringify(issued.body))
  credential = issued.body
  await startWorker(env)
})

after(async () => {
  await Promise.all(
    workers.map(async ({ child }) => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.stdin?.end()
      await exited
    }),
  )
  await upstream?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** One signed transfer: its bytes and headers, to be sent verbatim to either gateway. */
function signedTransfer(amountCents: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ from: 'acc_1', to: 'acc_2', amountCents })
  const headers: Record<string, string> = { host: HOST, 'content-type': 'application/json' }
  const signature = signRequestHeaders({ keyId: credential.keyId, secret: credential.secret, method: 'POST', url: `http://${HOST}${PATH}`, headers, body })
  return { body, headers: { ...headers, ...signature } }
}

async function send(worker: Worker, signed: { body: string; headers: Record<string, string> }): Promise<{ status: number; requestId: string }> {
  const res = await request(`${worker.url}${PATH}`, { method: 'POST', headers: signed.headers, body: signed.body })
  await res.body.dump()
  return { status: res.statusCode, requestId: String(res.headers['x-request-id']) }
}

/** The worker's logged reason for a rejected request (its event line may trail the response). */
function reasonOf(worker: Worker, requestId: string): Promise<string> {
  const known = worker.reasons.get(requestId)
  if (known !== undefined) return Promise.resolve(known)
  return new Promise((resolve) => worker.waiting.set(requestId, resolve))
}

it('both gateways accept a fresh signature with the shared credential', { skip }, async () => {
  for (const worker of workers) assert.equal((await send(worker, signedTransfer(100))).status, 200)
})

it('the same signed request sent to A then B: A accepts, B refuses it as a replay', { skip }, async () => {
  const [a, b] = workers as [Worker, Worker]
  const signed = signedTransfer(2500)
  assert.equal((await send(a, signed)).status, 200)
  const second = await send(b, signed)
  assert.equal(second.status, 401)
  assert.match(await reasonOf(b, second.requestId), /^replayed/)
  // And back to A: still refused (the nonce is spent everywhere, not just on B).
  const third = await send(a, signed)
  assert.equal(third.status, 401)
  assert.match(await reasonOf(a, third.requestId), /^replayed/)
})

it('the same signed request sent to both at once: exactly one 2xx, the other 401 (20 races)', { skip }, async () => {
  const [a, b] = workers as [Worker, Worker]
  for (let i = 0; i < 20; i++) {
    const signed = signedTransfer(3000 + i)
    const results = await Promise.all([send(a, signed), send(b, signed)])
    const statuses = results.map((r) => r.status).sort()
    assert.deepEqual(statuses, [200, 401], `race ${i}`)
    const loser = results[0]!.status === 401 ? { worker: a, ...results[0]! } : { worker: b, ...results[1]! }
    assert.match(await reasonOf(loser.worker, loser.requestId), /^replayed/)
  }
})
