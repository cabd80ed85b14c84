/**
 * Hot-path cost of the `oauth` policy: (1) full ES256 verification of a local access token
 * (structural checks + jose), (2) the policy handler on a warm cache (verified-token hit + one
 * revocation lookup in the in-memory state store), (3) the handler with its cache off, and, for
 * scale, (4) the same handler call on a route whose request carries no token at all.
 * Figures are CPU time per operation (process.cpuUsage), steadier than wall time on a shared
 * machine. Run: node --import tsx benchmarks/jwt.bench.ts  (BENCH_MS per case, default 2000)
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createAuthServer } from '../src/auth-server/create-auth-server.js'
import { MemoryClientStore, MemorySigningKeyStore, MemoryTokenStateStore } from '../src/auth-server/memory-stores.js'
import { RequestContext } from '../src/core/context.js'
import type { PolicyHandler } from '../src/core/types.js'
import { inspectJwt, verifyJwt } from '../src/policies/oauth/jwt-verify.js'
import { oauthHandler } from '../src/policies/oauth/testing.js'
import { createLocalJWKSet } from 'jose'

const durationMs = Number(process.env.BENCH_MS ?? 2000)
const state = new MemoryTokenStateStore()
const auth = await createAuthServer({ issuer: 'https://gw.example', clients: new MemoryClientStore(), state, signingKeys: new MemorySigningKeyStore() })
const { token } = await auth.accessTokens.issue({ sub: 'c', clientId: 'c', scope: ['stations:read'] })

/** Runs `op` in batches for about `durationMs` and prints CPU µs per call (after a warm-up). */
async function measure(name: string, op: () => unknown): Promise<void> {
  for (let i = 0; i < 1000; i++) await op() // warm-up (JIT, key import, caches)
  let n = 0
  const cpuStart = process.cpuUsage()
  const end = performance.now() + durationMs
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await op()
    n += 200
  }
  const cpu = process.cpuUsage(cpuStart)
  console.log(`${name.padEnd(52)} ${(((cpu.user + cpu.system) / n)).toFixed(2).padStart(8)} µs CPU/op  (${n.toLocaleString('en-US')} ops)`)
}

const profile = {
  issuer: auth.issuer, audience: auth.audience, algorithms: ['ES256'], typ: 'at+jwt', requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  clockSkewMs: 30_000, maxTokenAgeMs: 86_400_000, getKey: createLocalJWKSet(auth.jwks()),
}
await measure('verify ES256 (inspect + jose jwtVerify)', () => verifyJwt(token, inspectJwt(token), profile, Date.now()))

const res = {} as ServerResponse
const withToken = { method: 'GET', headers: { authorization: `Bearer ${token}` }, socket: {} } as unknown as IncomingMessage
const withoutToken = { method: 'GET', headers: {}, socket: {} } as unknown as IncomingMessage
/** One request through the handler, as the pipeline calls it (a sync result is not awaited). */
const request = (handler: PolicyHandler, req: IncomingMessage, expect: 'pass' | 'refuse') => (): unknown => {
  const ctx = new RequestContext({ id: 'b', req, res, path: '/v1/stations', rawQuery: '', clientIp: '127.0.0.1', secure: false, maxBodyBytes: 0, bodyTimeoutMs: 0 })
  const check = (rejection: unknown): void => {
    if ((rejection === null) !== (expect === 'pass')) throw new Error(`unexpected outcome: ${JSON.stringify(rejection)}`)
  }
  const result = handler.onRequest(ctx)
  if (result instanceof Promise) return result.then(check)
  return check(result)
}

const warm = oauthHandler({ scopes: { read: ['stations:read'] } }, { state, local: auth })
await measure('policy onRequest, warm cache + revocation get', request(warm, withToken, 'pass'))
await measure('policy onRequest, no verification cache', request(oauthHandler({ verifiedCacheMs: 0 }, { state, local: auth }), withToken, 'pass'))
await measure('policy onRequest, no token (401 challenge; reference)', request(warm, withoutToken, 'refuse'))
