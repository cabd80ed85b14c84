/**
 * Micro-benchmark: RFC 9421 hmac-sha256 over a signed 1 KiB POST (Content-Digest), in CPU time
 * per operation (process.cpuUsage), which stays meaningful on a shared machine:
 * - verify, nonce recorded: every request signed up front with its own nonce, then verified
 *   (the in-memory nonce store takes each nonce once);
 * - verify, no nonce: one request signed once and verified over and over, as the policy bench's
 *   "hmac (pre-signed, no nonce)" row replays it;
 * - sign: what a client (and the per-request-signing bench row's load generator) pays.
 * Run: node --import tsx benchmarks/hmac.bench.ts (N=... to change the count).
 */
import { randomBytes } from 'node:crypto'
import { signRequestHeaders } from '../src/signing/sign.js'
import { verifySignedRequest, parseComponentSpec, type VerifyOptions, type VerifyRequest } from '../src/policies/hmac/verify.js'
import { createMemoryNonceStore } from '../src/policies/hmac/replay.js'
import { generateHmacSecret, hmacKeyFromSecret } from '../src/policies/hmac/credentials.js'

const N = Number(process.env.N ?? 50_000)
const secret = generateHmacSecret()
const key = { keyId: 'hk_bench', alg: 'hmac-sha256' as const, secret: hmacKeyFromSecret(secret), consumerId: 'c' }
const options = (requireNonce: boolean): VerifyOptions => ({
  requiredComponents: ['@method', '@target-uri'].map(parseComponentSpec),
  maxAgeMs: 300_000, clockSkewMs: 300_000, requireNonce, algorithms: ['hmac-sha256', 'ed25519'],
})
const body = randomBytes(512).toString('hex') // 1 KiB
const url = 'https://api.example.com/v1/transfers?currency=EUR'
const headers = { host: 'api.example.com', 'content-type': 'application/json' }
const sign = (nonce?: false) => signRequestHeaders({ keyId: key.keyId, secret, method: 'POST', url, headers, body, ...(nonce === false ? { nonce } : {}) })
const asRequest = (signed: ReturnType<typeof sign>): VerifyRequest => ({ method: 'POST', url, headers: { ...headers, ...signed }, body: Buffer.from(body) })

const WARM_UP = 2_000

/** CPU µs per call over `count` calls of `run(i)`, after WARM_UP calls; i counts every call. */
async function cpuPerOp(count: number, run: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < WARM_UP; i++) await run(i)
  const start = process.cpuUsage()
  for (let i = WARM_UP; i < WARM_UP + count; i++) await run(i)
  const used = process.cpuUsage(start)
  return (used.user + used.system) / count
}

async function verifyOk(request: VerifyRequest, opts: VerifyOptions, nonces: ReturnType<typeof createMemoryNonceStore>): Promise<void> {
  const result = await verifySignedRequest(request, { resolveKey: () => key, nonces }, opts, Date.now())
  if (!result.ok) throw new Error(`verification failed: ${result.reason}`)
}

const nonceStore = createMemoryNonceStore()
const fresh = Array.from({ length: WARM_UP + N }, () => asRequest(sign()))
const withNonce = await cpuPerOp(N, (i) => verifyOk(fresh[i]!, options(true), nonceStore))
const replayed = asRequest(sign(false))
const noNonce = await cpuPerOp(N, () => verifyOk(replayed, options(false), nonceStore))
const signing = await cpuPerOp(N, () => sign())

const line = (label: string, us: number) => `${label.padEnd(44)} ${us.toFixed(1).padStart(6)} µs CPU/op`
console.log([
  `hmac-sha256, 1 KiB POST with Content-Digest, ${N} operations each (Node ${process.version})`,
  line('verify, nonce recorded (fresh requests)', withNonce),
  line('verify, no nonce (one request replayed)', noNonce),
  line('sign (client side, fresh nonce)', signing),
].join('\n'))
