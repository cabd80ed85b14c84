/**
 * Micro-benchmark: verification of an RFC 9421 hmac-sha256 signed 1 KiB POST (Content-Digest,
 * nonce recorded in the in-memory store). Requests are signed up front so only verification is
 * timed. Run: node --import tsx benchmarks/hmac.bench.ts
 */
import { randomBytes } from 'node:crypto'
import { signRequestHeaders } from '../src/signing/sign.js'
import { verifySignedRequest, parseComponentSpec, type VerifyOptions, type VerifyRequest } from '../src/policies/hmac/verify.js'
import { createMemoryNonceStore } from '../src/policies/hmac/replay.js'
import { generateHmacSecret, hmacKeyFromSecret } from '../src/policies/hmac/credentials.js'

const N = Number(process.env.N ?? 50_000)
const secret = generateHmacSecret()
const key = { keyId: 'hk_bench', alg: 'hmac-sha256' as const, secret: hmacKeyFromSecret(secret), consumerId: 'c' }
const options: VerifyOptions = {
  requiredComponents: ['@method', '@target-uri'].map(parseComponentSpec),
  maxAgeMs: 300_000, clockSkewMs: 300_000, requireNonce: true, algorithms: ['hmac-sha256', 'ed25519'],
}
const body = randomBytes(512).toString('hex') // 1 KiB
const url = 'https://api.example.com/v1/transfers?currency=EUR'
const requests: VerifyRequest[] = []
for (let i = 0; i < N; i++) {
  const headers = { host: 'api.example.com', 'content-type': 'application/json' }
  const sig = signRequestHeaders({ keyId: key.keyId, secret, method: 'POST', url, headers, body })
  requests.push({ method: 'POST', url, headers: { ...headers, ...sig }, body: Buffer.from(body) })
}
const deps = { resolveKey: () => key, nonces: createMemoryNonceStore() }
const now = Date.now()
for (let i = 0; i < 2000; i++) await verifySignedRequest(requests[i]!, { ...deps, nonces: createMemoryNonceStore() }, options, now)
const start = process.hrtime.bigint()
for (const request of requests) {
  const result = await verifySignedRequest(request, deps, options, now)
  if (!result.ok) throw new Error(`verification failed: ${result.reason}`)
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9
console.log(`hmac verify (1 KiB POST, content-digest, nonce): ${Math.round(N / seconds).toLocaleString('en')} ops/s, ${((seconds / N) * 1e6).toFixed(1)} µs/op over ${N} requests (Node ${process.version})`)
