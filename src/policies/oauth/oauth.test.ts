import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeProtectedHeader } from 'jose'
import { createAuthServer } from '../../auth-server/create-auth-server.js'
import { startTestAuthServer, type TestAuthServer } from '../../auth-server/testing.js'
import { oauthHandler, protectedApi, TEST_REASON_HEADER } from './testing.js'

const SVC = { id: 'svc', secret: 's'.repeat(43) }
const READER = { id: 'reader', secret: 'r'.repeat(43) }
const SCOPES = { read: ['stations:read'], write: ['stations:write'], byMethod: { DELETE: ['stations:admin'] } }

describe('oauth policy with the local authorization server', () => {
  let t: TestAuthServer
  before(async () => {
    t = await startTestAuthServer({ accessTokenTtlMs: 60_000 })
    t.clients.addClient({ clientId: SVC.id, secret: SVC.secret, scopes: ['stations:read', 'stations:write'], grants: ['client_credentials'], redirectUris: [], consumerId: 'cons-1', tenant: 'acme', roles: ['ops'] })
    t.clients.addClient({ clientId: READER.id, secret: READER.secret, scopes: ['stations:read'], grants: ['client_credentials'], redirectUris: [] })
    t.setFallback(protectedApi(oauthHandler({ scopes: SCOPES, jwksCooldownMs: 0 }, { state: t.state, local: t.auth, now: t.clock.now })))
  })
  after(() => t.close())

  const tokenFor = async (client: { id: string; secret: string }): Promise<string> =>
    ((await (await t.postForm('/oauth/token', { grant_type: 'client_credentials' }, client)).json()) as { access_token: string }).access_token
  const call = (token: string | undefined, method = 'GET', authorization = token && `Bearer ${token}`): Promise<Response> =>
    fetch(t.url + '/v1/stations', { method, headers: authorization ? { authorization } : {} })

  it('accepts a valid token and maps the Principal', async () => {
    const res = await call(await tokenFor(SVC))
    assert.equal(res.status, 200)
    const { principal } = (await res.json()) as { principal: Record<string, unknown> }
    assert.equal(principal['method'], 'oauth')
    assert.equal(principal['subject'], 'cons-1')
    assert.equal(principal['consumerId'], 'cons-1')
    assert.equal(principal['tenant'], 'acme')
    assert.deepEqual(principal['roles'], ['ops'])
    assert.deepEqual(principal['scopes'], ['stations:read', 'stations:write'])
    assert.equal(principal['credentialId'], SVC.id)
    assert.equal((principal['claims'] as Record<string, unknown>)['client_id'], SVC.id)
  })

  it('enforces scopes per method: read ok, write → 403 insufficient_scope with the needed scope', async () => {
    const token = await tokenFor(READER)
    assert.equal((await call(token)).status, 200)
    const res = await call(token, 'POST')
    assert.equal(res.status, 403)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis", error="insufficient_scope", scope="stations:write"')
    assert.equal(((await res.json()) as Record<string, unknown>)['code'], 'ERR_INSUFFICIENT_SCOPE')
    const del = await call(await tokenFor(SVC), 'DELETE')
    assert.equal(del.status, 403, 'byMethod overrides write')
    assert.match(del.headers.get('www-authenticate')!, /scope="stations:admin"/)
  })

  it('without credentials: 401 with a bare Bearer challenge (RFC 6750 §3.1: no error code)', async () => {
    const res = await call(undefined)
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis"')
    assert.equal(((await res.json()) as Record<string, unknown>)['code'], 'ERR_AUTH_REQUIRED')
  })

  it('invalid tokens: 401 invalid_token', async () => {
    const res = await call('abc.def.ghi')
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis", error="invalid_token"')
    assert.equal(((await res.json()) as Record<string, unknown>)['code'], 'ERR_AUTH_INVALID')
    assert.equal((await call(undefined, 'GET', 'Bearer ')).status, 401, 'empty bearer')
    assert.equal((await call(undefined, 'GET', 'Bearer a"b')).status, 401, 'not a b64token')
  })

  it('leaves API keys and other schemes to other policies (pcl_ prefix → pass)', async () => {
    const res = await call(undefined, 'GET', 'Bearer pcl_abcdef0123456789')
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as Record<string, unknown>)['principal'], null)
    assert.equal((await call(undefined, 'GET', 'Basic YTpi')).status, 401, 'required: true and no bearer token')
  })

  it('required: false passes requests without a bearer token', async () => {
    const handler = oauthHandler({ required: false }, { state: t.state, local: t.auth })
    const server = createServer((req, res) => void protectedApi(handler)(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stations`)
      assert.equal(res.status, 200)
    } finally {
      server.close()
    }
  })

  it('refuses a revoked token on the next request, also on another instance sharing the state store', async () => {
    const token = await tokenFor(SVC)
    const other = oauthHandler({}, { state: t.state, local: t.auth, now: t.clock.now })
    const otherServer = createServer((req, res) => void protectedApi(other)(req, res))
    await new Promise<void>((resolve) => otherServer.listen(0, '127.0.0.1', resolve))
    const otherUrl = `http://127.0.0.1:${(otherServer.address() as AddressInfo).port}/v1/stations`
    try {
      assert.equal((await call(token)).status, 200, 'verified and cached on instance 1')
      assert.equal((await fetch(otherUrl, { headers: { authorization: `Bearer ${token}` } })).status, 200)
      assert.equal((await t.postForm('/oauth/revoke', { token }, SVC)).status, 200)
      const res = await call(token)
      assert.equal(res.status, 401)
      assert.equal(decodeURIComponent(res.headers.get(TEST_REASON_HEADER)!), 'token revoked')
      assert.equal((await fetch(otherUrl, { headers: { authorization: `Bearer ${token}` } })).status, 401)
    } finally {
      otherServer.close()
    }
  })

  it('expired tokens are refused even when cached', async () => {
    const token = await tokenFor(SVC)
    assert.equal((await call(token)).status, 200)
    t.clock.advance(60_000 + 30_000 + 1000)
    const res = await call(token)
    assert.equal(res.status, 401)
    assert.match(decodeURIComponent(res.headers.get(TEST_REASON_HEADER)!), /ERR_JWT_EXPIRED/)
  })
  it('a cached token is refused once older than maxTokenAge (the cache is never more lenient than the verifier)', async () => {
    const handler = oauthHandler({ maxTokenAgeMs: 10_000, verifiedCacheMs: 60_000 }, { state: t.state, local: t.auth, now: t.clock.now })
    const server = createServer((req, res) => void protectedApi(handler)(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stations`
    try {
      const token = await tokenFor(SVC)
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'verified and cached')
      // Past iat + maxTokenAge + clock skew, still well before exp (60 s) and the cache lifetime.
      t.clock.advance(10_000 + 30_000 + 1000)
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(res.status, 401)
      assert.match(decodeURIComponent(res.headers.get(TEST_REASON_HEADER)!), /"iat" claim timestamp check failed/)
    } finally {
      server.close()
    }
  })
})

describe('oauth policy: signing-key rotation', () => {
  it('accepts tokens of the previous key until they expire; another instance reloads the new key', async () => {
    const t = await startTestAuthServer({ accessTokenTtlMs: 60_000 })
    try {
      t.clients.addClient({ clientId: SVC.id, secret: SVC.secret, scopes: ['a'], grants: ['client_credentials'], redirectUris: [] })
      // Instance 2: its own authorization server object over the same key store and state.
      const auth2 = await createAuthServer({ issuer: t.url, clients: t.clients, state: t.state, signingKeys: t.keyStore, now: t.clock.now })
      const handler1 = oauthHandler({ jwksCooldownMs: 0 }, { state: t.state, local: t.auth, now: t.clock.now })
      const handler2 = oauthHandler({ jwksCooldownMs: 0 }, { state: t.state, local: auth2, now: t.clock.now })
      let active = handler1
      t.setFallback((req, res) => protectedApi(active)(req, res))
      const get = async (): Promise<string> =>
        ((await (await t.postForm('/oauth/token', { grant_type: 'client_credentials' }, SVC)).json()) as { access_token: string }).access_token
      const call = (token: string): Promise<number> => fetch(t.url + '/x', { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)

      const before = await get()
      await t.auth.rotateSigningKey()
      const afterRotation = await get()
      assert.notEqual(decodeProtectedHeader(before).kid, decodeProtectedHeader(afterRotation).kid)
      assert.equal(await call(before), 200, 'previous key still accepted')
      assert.equal(await call(afterRotation), 200)
      active = handler2
      assert.equal(await call(afterRotation), 200, 'instance 2 reloads keys on the unknown kid')
      assert.equal(await call(before), 200)
      // After expiry the old token is refused, and the next rotation unpublishes its key.
      t.clock.advance(60_000 + 30_001)
      assert.equal(await call(before), 401)
      await t.auth.rotateSigningKey()
      assert.equal(t.auth.jwks().keys.length, 2)
    } finally {
      await t.close()
    }
  })
})
