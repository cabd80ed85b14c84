/**
 * External OpenID Connect issuer: a tiny OP is started inside the test (real HTTP discovery and
 * JWKS on a loopback port) and rotates its key; the policy must follow without a restart.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { revokedAccessTokenKey } from '../../auth-server/state-keys.js'
import { startTestAuthServer, type TestAuthServer } from '../../auth-server/testing.js'
import { oauthHandler, protectedApi, TEST_REASON_HEADER } from './testing.js'

interface OpKey {
  kid: string
  privateKey: KeyObject
  publicJwk: Record<string, unknown>
}

/** A minimal OpenID provider: discovery + JWKS, key rotation, request counters. */
class TinyOp {
  server: Server
  url = ''
  keys: OpKey[] = []
  jwksFetches = 0
  discoveryFetches = 0
  metadataIssuer: string | undefined

  constructor() {
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        this.discoveryFetches++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ issuer: this.metadataIssuer ?? this.url, jwks_uri: `${this.url}/keys`, id_token_signing_alg_values_supported: ['RS256'] }))
      } else if (req.url === '/keys') {
        this.jwksFetches++
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
        res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }))
      } else res.writeHead(404).end()
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    this.rotate()
    return this
  }

  /** New key becomes the only published key (old one withdrawn, the harsh case). */
  rotate(): OpKey {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const kid = randomUUID()
    const key = { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } }
    this.keys = [key]
    return key
  }

  sign(claims: Record<string, unknown>, options: { typ?: string; key?: OpKey } = {}): Promise<string> {
    const key = options.key ?? this.keys[0]!
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ iat: now, exp: now + 300, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...(options.typ === undefined ? { typ: 'at+jwt' } : options.typ === '' ? {} : { typ: options.typ }) })
      .sign(key.privateKey)
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

const API = 'https://api.portcullis.test'

describe('oauth policy with an external OpenID provider', () => {
  let op: TinyOp
  let gw: TestAuthServer
  before(async () => {
    op = await new TinyOp().start()
    gw = await startTestAuthServer()
    gw.setFallback(
      protectedApi(
        oauthHandler(
          {
            local: true,
            issuers: [{ issuer: op.url, audience: API, algorithms: ['RS256'] }],
            jwksCooldownMs: 0,
            scopeClaim: 'scp',
            rolesClaim: 'realm_access.roles',
            tenantClaim: 'tid',
            scopes: { read: ['stations:read'] },
          },
          { state: gw.state, local: gw.auth },
        ),
      ),
    )
  })
  after(async () => {
    await gw.close()
    await op.close()
  })

  const call = async (token: string): Promise<{ status: number; reason: string; body: Record<string, unknown> }> => {
    const res = await fetch(gw.url + '/v1/stations', { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, reason: decodeURIComponent(res.headers.get(TEST_REASON_HEADER) ?? ''), body: (await res.json()) as Record<string, unknown> }
  }
  const atClaims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: op.url, sub: 'ext-user', aud: API, client_id: 'spa', scp: ['stations:read'], tid: 'tenant-9', realm_access: { roles: ['viewer'] }, ...extra,
  })

  it('discovers the OP, fetches its JWKS once and maps the claims', async () => {
    const first = await call(await op.sign(atClaims()))
    assert.equal(first.status, 200, first.reason)
    const principal = first.body['principal'] as Record<string, unknown>
    assert.equal(principal['subject'], 'ext-user')
    assert.equal(principal['tenant'], 'tenant-9')
    assert.deepEqual(principal['roles'], ['viewer'])
    assert.deepEqual(principal['scopes'], ['stations:read'])
    assert.equal(principal['credentialId'], 'spa')
    assert.equal((await call(await op.sign(atClaims()))).status, 200)
    assert.equal(op.discoveryFetches, 1)
    assert.equal(op.jwksFetches, 1, 'JWKS cached')
  })

  it('follows the OP key rotation (unknown kid → one refetch)', async () => {
    const before = op.jwksFetches
    op.rotate()
    const res = await call(await op.sign(atClaims()))
    assert.equal(res.status, 200, res.reason)
    assert.equal(op.jwksFetches, before + 1)
  })

  it('refuses tokens signed by the withdrawn key after rotation', async () => {
    const old = op.keys[0]!
    op.rotate()
    const fresh = await call(await op.sign(atClaims()))
    assert.equal(fresh.status, 200)
    const stale = await call(await op.sign(atClaims(), { key: old }))
    assert.equal(stale.status, 401)
    assert.match(stale.reason, /JWKS_NO_MATCHING_KEY/)
  })

  it('refuses an OP ID token used as an access token', async () => {
    const idToken = await op.sign({ iss: op.url, sub: 'ext-user', aud: 'spa', nonce: 'n' }, { typ: 'JWT' })
    const res = await call(idToken)
    assert.equal(res.status, 401)
    assert.match(res.reason, /"typ"/)
    const untyped = await call(await op.sign(atClaims(), { typ: '' }))
    assert.match(untyped.reason, /"typ"/)
  })

  it('refuses wrong audience, and an OP token claiming to be from our own issuer (keys bound per issuer)', async () => {
    assert.match((await call(await op.sign(atClaims({ aud: 'https://other.example' })))).reason, /"aud"/)
    const mixUp = await call(await op.sign(atClaims({ iss: gw.url, aud: gw.url })))
    assert.equal(mixUp.status, 401)
    assert.match(mixUp.reason, /alg RS256 not allowed|JWKS_NO_MATCHING_KEY/)
  })

  it('a token without jti (nothing to look up for revocation) is served from the cache with scopes still enforced', async () => {
    const granted = await op.sign(atClaims({ jti: undefined }))
    for (let i = 0; i < 2; i++) assert.equal((await call(granted)).status, 200, `call ${i + 1}`)
    const lacking = await op.sign(atClaims({ jti: undefined, scp: ['stations:write'] }))
    for (let i = 0; i < 2; i++) {
      const res = await call(lacking)
      assert.equal(res.status, 403, `call ${i + 1}`)
      assert.equal(res.body['code'], 'ERR_INSUFFICIENT_SCOPE')
      assert.equal(res.reason, 'missing scopes: stations:read')
    }
  })

  it('refuses a revoked external token (jti deny-list in the shared state)', async () => {
    const jti = randomUUID()
    const token = await op.sign(atClaims({ jti }))
    assert.equal((await call(token)).status, 200)
    await gw.state.set(revokedAccessTokenKey(op.url, jti), '1', 60_000)
    assert.match((await call(token)).reason, /revoked/)
  })
})

describe('external issuer: failure handling and refetch rate limit', () => {
  it('rate-limits JWKS refetches caused by unknown kids (cooldown)', async () => {
    const op = await new TinyOp().start()
    const gw = await startTestAuthServer()
    try {
      gw.setFallback(protectedApi(oauthHandler({ local: false, issuers: [{ issuer: op.url, audience: API, algorithms: ['RS256'] }], jwksCooldownMs: 60_000 }, { state: gw.state })))
      const claims = { iss: op.url, sub: 'u', aud: API }
      assert.equal((await fetch(gw.url + '/x', { headers: { authorization: `Bearer ${await op.sign(claims)}` } })).status, 200)
      const fetches = op.jwksFetches
      const rogue = { ...op.keys[0]!, kid: 'unknown' }
      for (let i = 0; i < 5; i++) {
        const res = await fetch(gw.url + '/x', { headers: { authorization: `Bearer ${await op.sign(claims, { key: { ...rogue, kid: `rand-${i}` } })}` } })
        assert.equal(res.status, 401)
      }
      assert.equal(op.jwksFetches, fetches, 'no refetch inside the cooldown')
    } finally {
      await gw.close()
      await op.close()
    }
  })

  it('discovery issuer mismatch and an unreachable OP answer 503 (an outage, not a bad token)', async () => {
    const op = await new TinyOp().start()
    op.metadataIssuer = 'https://somebody-else.example'
    const gw = await startTestAuthServer()
    try {
      const dead = 'http://127.0.0.1:9'
      gw.setFallback(
        protectedApi(
          oauthHandler(
            { local: false, issuers: [{ issuer: op.url, audience: API, algorithms: ['RS256'] }, { issuer: dead, audience: API, algorithms: ['RS256'] }], fetchTimeoutMs: 2000 },
            { state: gw.state },
          ),
        ),
      )
      const mismatch = await fetch(gw.url + '/x', { headers: { authorization: `Bearer ${await op.sign({ iss: op.url, sub: 'u', aud: API })}` } })
      assert.equal(mismatch.status, 503)
      assert.match(decodeURIComponent(mismatch.headers.get(TEST_REASON_HEADER)!), /issuer mismatch/)
      const down = await fetch(gw.url + '/x', { headers: { authorization: `Bearer ${await op.sign({ iss: dead, sub: 'u', aud: API })}` } })
      assert.equal(down.status, 503)
    } finally {
      await gw.close()
      await op.close()
    }
  })
})
