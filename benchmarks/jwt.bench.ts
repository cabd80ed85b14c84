/**
 * Hot-path cost of the `oauth` policy with warm caches: (1) full ES256 verification of a local
 * access token (structural checks + jose), (2) the policy handler on a cached token (LRU hit +
 * one revocation lookup in the in-memory state store). Run: node --import tsx benchmarks/jwt.bench.ts
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createAuthServer } from '../src/auth-server/create-auth-server.js'
import { MemoryClientStore, MemorySigningKeyStore, MemoryTokenStateStore } from '../src/auth-server/memory-stores.js'
import { RequestContext } from '../src/core/context.js'
import { inspectJwt, verifyJwt } from '../src/policies/oauth/jwt-verify.js'
import { oauthHandler } from '../src/policies/oauth/testing.js'
import { createLocalJWKSet } from 'jose'

const state = new MemoryTokenStateStore()
const auth = await createAuthServer({ issuer: 'https://gw.example', clients: new MemoryClientStore(), state, signingKeys: new MemorySigningKeyStore() })
const { token } = await auth.accessTokens.issue({ sub: 'c', clientId: 'c', scope: ['stations:read'] })

async function measure(name: string, durationMs: number, op: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 500; i++) await op() // warm-up (JIT, key import, caches)
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(durationMs) * 1_000_000n
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 100; i++) await op()
    n += 100
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(`${name.padEnd(48)} ${Math.round(n / seconds).toLocaleString('en-US')} ops/s  (${((seconds / n) * 1e6).toFixed(1)} µs/op)`)
}

const profile = {
  issuer: auth.issuer, audience: auth.audience, algorithms: ['ES256'], typ: 'at+jwt', requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  clockSkewMs: 30_000, maxTokenAgeMs: 86_400_000, getKey: createLocalJWKSet(auth.jwks()),
}
await measure('verify ES256 (inspect + jose jwtVerify)', 2000, () => verifyJwt(token, inspectJwt(token), profile, Date.now()))

const handler = oauthHandler({ scopes: { read: ['stations:read'] } }, { state, local: auth })
const req = { method: 'GET', headers: { authorization: `Bearer ${token}` }, socket: {} } as unknown as IncomingMessage
const res = {} as ServerResponse
await measure('policy onRequest, cached token + revocation get', 2000, async () => {
  const ctx = new RequestContext({ id: 'b', req, res, path: '/v1/stations', rawQuery: '', clientIp: '127.0.0.1', secure: false, maxBodyBytes: 0, bodyTimeoutMs: 0 })
  const rejection = await handler.onRequest(ctx)
  if (rejection) throw new Error(rejection.reason)
})
const uncached = oauthHandler({ verifiedCacheMs: 0 }, { state, local: auth })
await measure('policy onRequest, no verification cache', 2000, async () => {
  const ctx = new RequestContext({ id: 'b', req, res, path: '/v1/stations', rawQuery: '', clientIp: '127.0.0.1', secure: false, maxBodyBytes: 0, bodyTimeoutMs: 0 })
  const rejection = await uncached.onRequest(ctx)
  if (rejection) throw new Error(rejection.reason)
})
