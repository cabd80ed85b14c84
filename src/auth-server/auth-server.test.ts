import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { createAuthServer } from './create-auth-server.js'
import { FileSigningKeyStore } from './file-signing-key-store.js'
import { MemoryClientStore, MemoryTokenStateStore } from './memory-stores.js'
import { startTestAuthServer, type TestAuthServer } from './testing.js'

describe('authorization server: metadata, JWKS, client_credentials', () => {
  let t: TestAuthServer
  const svc = { id: 'svc', secret: 'p@ss word+/:' + 'x'.repeat(40) }
  before(async () => {
    t = await startTestAuthServer()
    t.clients.addClient({ clientId: svc.id, secret: svc.secret, scopes: ['stations:read', 'stations:write'], grants: ['client_credentials'], redirectUris: [], consumerId: 'cons-1', tenant: 'acme', roles: ['reader'] })
  })
  after(() => t.close())

  it('serves RFC 8414 metadata whose endpoints point at this issuer', async () => {
    const res = await fetch(t.url + '/.well-known/oauth-authorization-server')
    assert.equal(res.status, 200)
    const md = (await res.json()) as Record<string, unknown>
    assert.equal(md['issuer'], t.url)
    assert.equal(md['token_endpoint'], t.url + '/oauth/token')
    assert.equal(md['jwks_uri'], t.url + '/.well-known/jwks.json')
    assert.equal(md['revocation_endpoint'], t.url + '/oauth/revoke')
    assert.equal(md['introspection_endpoint'], t.url + '/oauth/introspect')
    assert.deepEqual(md['code_challenge_methods_supported'], ['S256'])
    assert.deepEqual(md['token_endpoint_auth_methods_supported'], ['client_secret_basic', 'client_secret_post'])
  })

  it('serves a JWKS with public EC keys only', async () => {
    const res = await fetch(t.url + '/.well-known/jwks.json')
    assert.equal(res.status, 200)
    const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> }
    assert.equal(jwks.keys.length, 1)
    assert.equal(jwks.keys[0]!['kty'], 'EC')
    assert.equal(jwks.keys[0]!['alg'], 'ES256')
    assert.equal(jwks.keys[0]!['d'], undefined, 'private part must never be published')
  })

  it('issues an RFC 9068 access token with client_secret_basic (form-encoded credentials)', async () => {
    const res = await t.postForm('/oauth/token', { grant_type: 'client_credentials', scope: 'stations:read' }, svc)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(res.headers.get('pragma'), 'no-cache')
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body['token_type'], 'Bearer')
    assert.equal(body['scope'], 'stations:read')
    assert.equal(body['refresh_token'], undefined, 'RFC 6749 §4.4.3: no refresh token')
    const token = String(body['access_token'])
    const header = decodeProtectedHeader(token)
    assert.equal(header.typ, 'at+jwt')
    assert.equal(header.alg, 'ES256')
    assert.equal(header.kid, t.auth.jwks().keys[0]!.kid)
    const claims = decodeJwt(token)
    assert.equal(claims.iss, t.url)
    assert.equal(claims.aud, t.url)
    assert.equal(claims.sub, 'cons-1')
    assert.equal(claims['client_id'], 'svc')
    assert.equal(claims['tenant'], 'acme')
    assert.deepEqual(claims['roles'], ['reader'])
    assert.equal(typeof claims.jti, 'string')
    assert.equal(claims.exp! - claims.iat!, body['expires_in'])
    assert.equal(claims.nbf, claims.iat)
  })

  it('accepts client_secret_post and defaults scope to the client allowance', async () => {
    const res = await t.postForm('/oauth/token', { grant_type: 'client_credentials', client_id: svc.id, client_secret: svc.secret })
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as Record<string, unknown>)['scope'], 'stations:read stations:write')
  })

  it('refuses a wrong secret with 401 invalid_client and a Basic challenge', async () => {
    const res = await t.postForm('/oauth/token', { grant_type: 'client_credentials' }, { id: svc.id, secret: 'wrong' })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
    assert.deepEqual(((await res.json()) as Record<string, unknown>)['error'], 'invalid_client')
  })

  it('refuses an unknown client, missing auth and two auth methods at once', async () => {
    let res = await t.postForm('/oauth/token', { grant_type: 'client_credentials' }, { id: 'nobody', secret: 'x' })
    assert.equal(res.status, 401)
    res = await t.postForm('/oauth/token', { grant_type: 'client_credentials' })
    assert.equal(res.status, 401)
    res = await t.postForm('/oauth/token', { grant_type: 'client_credentials', client_secret: svc.secret }, svc)
    assert.equal(res.status, 400)
    assert.equal(((await res.json()) as Record<string, unknown>)['error'], 'invalid_request')
  })

  it('answers unsupported_grant_type, unauthorized_client and invalid_scope', async () => {
    const err = async (form: Record<string, string>): Promise<[number, unknown]> => {
      const res = await t.postForm('/oauth/token', form, svc)
      return [res.status, ((await res.json()) as Record<string, unknown>)['error']]
    }
    assert.deepEqual(await err({ grant_type: 'password', username: 'a', password: 'b' }), [400, 'unsupported_grant_type'])
    assert.deepEqual(await err({ grant_type: 'refresh_token', refresh_token: 'rt_x' }), [400, 'unauthorized_client'])
    assert.deepEqual(await err({ grant_type: 'client_credentials', scope: 'admin' }), [400, 'invalid_scope'])
    assert.deepEqual(await err({ grant_type: 'client_credentials', scope: 'bad"scope' }), [400, 'invalid_scope'])
    assert.deepEqual(await err({}), [400, 'invalid_request'])
  })

  it('refuses malformed input with 4xx, never a crash', async () => {
    const post = (body: string | Buffer, type = 'application/x-www-form-urlencoded', extra: Record<string, string> = {}): Promise<Response> =>
      fetch(t.url + '/oauth/token', { method: 'POST', headers: { 'content-type': type, ...extra }, body })
    // RFC 6749 §3.1: a repeated parameter is refused before anything else happens.
    let res = await post('grant_type=client_credentials&grant_type=client_credentials')
    assert.equal(res.status, 400)
    assert.equal(((await res.json()) as Record<string, unknown>)['error'], 'invalid_request')
    res = await post('{"grant_type":"client_credentials"}', 'application/json')
    assert.equal(res.status, 400)
    res = await post('a=' + 'x'.repeat(20_000))
    assert.equal(res.status, 413)
    res = await post(Buffer.from([0x61, 0x3d, 0xff, 0xfe]))
    assert.equal(res.status, 400)
    res = await post('grant_type=client_credentials', undefined, { authorization: 'Basic !!!' })
    assert.equal(res.status, 401)
    res = await fetch(t.url + '/oauth/token')
    assert.equal(res.status, 405)
    // The server is still healthy.
    assert.equal((await fetch(t.url + '/.well-known/jwks.json')).status, 200)
  })

  it('leaves other paths alone (handle returns false)', async () => {
    assert.equal((await fetch(t.url + '/v1/stations')).status, 404)
  })
})

describe('signing keys: rotation and persistence', () => {
  it('rotates without downtime: JWKS lists current and previous, old tokens keep verifying', async () => {
    const t = await startTestAuthServer({ accessTokenTtlMs: 60_000 })
    try {
      t.clients.addClient({ clientId: 'c', secret: 's'.repeat(43), scopes: ['a'], grants: ['client_credentials'], redirectUris: [] })
      const get = async (): Promise<string> => ((await (await t.postForm('/oauth/token', { grant_type: 'client_credentials' }, { id: 'c', secret: 's'.repeat(43) })).json()) as { access_token: string }).access_token
      const oldToken = await get()
      const oldKid = decodeProtectedHeader(oldToken).kid
      await t.auth.rotateSigningKey()
      const jwks = (await (await fetch(t.url + '/.well-known/jwks.json')).json()) as { keys: Array<{ kid: string }> }
      assert.equal(jwks.keys.length, 2)
      assert.notEqual(jwks.keys[0]!.kid, oldKid, 'new key first')
      assert.equal(jwks.keys[1]!.kid, oldKid, 'previous key still published')
      const newToken = await get()
      assert.equal(decodeProtectedHeader(newToken).kid, jwks.keys[0]!.kid)
      assert.ok(await t.auth.accessTokens.verifyOwn(oldToken), 'token signed by the previous key still valid')
      assert.ok(await t.auth.accessTokens.verifyOwn(newToken))
      // Once every token of the old key has expired, the next rotation drops it.
      t.clock.advance(60_000 + 30_001)
      await t.auth.rotateSigningKey()
      const kids = t.auth.jwks().keys.map((k) => k.kid)
      assert.equal(kids.length, 2)
      assert.ok(!kids.includes(oldKid))
    } finally {
      await t.close()
    }
  })

  it('persists keys as JWK under the home dir (0600) and reloads them on restart', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pcl-keys-'))
    try {
      const store = new FileSigningKeyStore(join(home, '.portcullis'))
      const options = { issuer: 'http://127.0.0.1:1', clients: new MemoryClientStore(), state: new MemoryTokenStateStore(), signingKeys: store }
      const first = await createAuthServer(options)
      const kid = first.jwks().keys[0]!.kid
      const mode = (await stat(store.path)).mode & 0o777
      assert.equal(mode, 0o600)
      const file = JSON.parse(await readFile(store.path, 'utf8')) as { keys: Array<{ privateJwk: { d?: string } }> }
      assert.equal(typeof file.keys[0]!.privateJwk.d, 'string')
      const second = await createAuthServer(options)
      assert.equal(second.jwks().keys[0]!.kid, kid, 'same key after restart')
      await second.rotateSigningKey()
      await first.reloadSigningKeys()
      assert.deepEqual(first.jwks().keys.map((k) => k.kid), second.jwks().keys.map((k) => k.kid), 'other instance picks up the rotation')
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})
