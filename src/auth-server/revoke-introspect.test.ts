import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pkcePair, startTestAuthServer, type TestAuthServer } from './testing.js'

const SVC = { id: 'svc', secret: 's'.repeat(43) }
const APP = { id: 'app', secret: 'a'.repeat(43) }
const RS = { id: 'resource-server', secret: 'r'.repeat(43) }
const REDIRECT = 'http://127.0.0.1:9/cb'

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  let t: TestAuthServer
  before(async () => {
    t = await startTestAuthServer({ accessTokenTtlMs: 120_000 })
    t.clients.addClient({ clientId: SVC.id, secret: SVC.secret, scopes: ['stations:read'], grants: ['client_credentials'], redirectUris: [] })
    t.clients.addClient({ clientId: APP.id, secret: APP.secret, scopes: ['stations:read'], grants: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT] })
    t.clients.addClient({ clientId: RS.id, secret: RS.secret, scopes: [], grants: [], redirectUris: [], canIntrospect: true })
    t.users.addUser('bob', 'pw-bob-123', { subject: 'user-bob' })
  })
  after(() => t.close())

  const accessToken = async (): Promise<string> =>
    ((await (await t.postForm('/oauth/token', { grant_type: 'client_credentials' }, SVC)).json()) as { access_token: string }).access_token
  const introspect = async (token: string, client = SVC, hint?: string): Promise<Record<string, unknown>> => {
    const res = await t.postForm('/oauth/introspect', hint ? { token, token_type_hint: hint } : { token }, client)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    return (await res.json()) as Record<string, unknown>
  }
  const refreshToken = async (): Promise<string> => {
    const { verifier, challenge } = pkcePair()
    const q = new URLSearchParams({ response_type: 'code', client_id: APP.id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' })
    const html = await (await fetch(`${t.url}/oauth/authorize?${q}`)).text()
    const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1]!
    const login = await t.postForm('/oauth/authorize', { request_id: requestId, username: 'bob', password: 'pw-bob-123', decision: 'allow' })
    const code = new URL(login.headers.get('location')!).searchParams.get('code')!
    const res = await t.postForm('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, APP)
    return ((await res.json()) as { refresh_token: string }).refresh_token
  }

  it('introspects an active access token with the RFC 7662 members', async () => {
    const token = await accessToken()
    const info = await introspect(token)
    assert.equal(info['active'], true)
    assert.equal(info['client_id'], SVC.id)
    assert.equal(info['scope'], 'stations:read')
    assert.equal(info['sub'], SVC.id)
    assert.equal(info['iss'], t.url)
    assert.equal(info['aud'], t.url)
    assert.equal(info['token_type'], 'Bearer')
    for (const k of ['exp', 'iat', 'nbf']) assert.equal(typeof info[k], 'number', k)
    assert.equal(typeof info['jti'], 'string')
  })

  it('requires client authentication', async () => {
    const res = await t.postForm('/oauth/introspect', { token: await accessToken() })
    assert.equal(res.status, 401)
    assert.equal(((await res.json()) as Record<string, unknown>)['error'], 'invalid_client')
  })

  it('answers exactly {active:false} for junk, for expired and for other clients (unless a resource server)', async () => {
    assert.deepEqual(await introspect('not-a-token'), { active: false })
    const token = await accessToken()
    assert.deepEqual(await introspect(token, APP), { active: false }, 'not your token')
    assert.equal((await introspect(token, RS))['active'], true, 'resource servers may introspect any token')
    t.clock.advance(120_000 + 1)
    assert.deepEqual(await introspect(token), { active: false }, 'expired')
  })

  it('revokes an access token: 200, then introspection says inactive', async () => {
    const token = await accessToken()
    const res = await t.postForm('/oauth/revoke', { token, token_type_hint: 'access_token' }, SVC)
    assert.equal(res.status, 200)
    assert.deepEqual(await introspect(token), { active: false })
  })

  it('answers 200 for unknown tokens and for an invalid hint; 400 without token; 401 bad creds', async () => {
    assert.equal((await t.postForm('/oauth/revoke', { token: 'unknown-token' }, SVC)).status, 200)
    assert.equal((await t.postForm('/oauth/revoke', { token: 'rt_unknown', token_type_hint: 'refresh_token' }, SVC)).status, 200)
    assert.equal((await t.postForm('/oauth/revoke', { token: 'x', token_type_hint: 'bogus' }, SVC)).status, 200)
    const missing = await t.postForm('/oauth/revoke', {}, SVC)
    assert.equal(missing.status, 400)
    assert.equal(((await missing.json()) as Record<string, unknown>)['error'], 'invalid_request')
    assert.equal((await t.postForm('/oauth/revoke', { token: 'x' }, { id: SVC.id, secret: 'wrong' })).status, 401)
  })

  it("does not revoke another client's token (but answers 200: no oracle)", async () => {
    const token = await accessToken()
    assert.equal((await t.postForm('/oauth/revoke', { token }, APP)).status, 200)
    assert.equal((await introspect(token))['active'], true)
  })

  it('revokes a refresh token (with and despite a wrong hint) and its family', async () => {
    for (const hint of ['refresh_token', 'access_token']) {
      const rt = await refreshToken()
      assert.equal((await introspect(rt, APP, 'refresh_token'))['active'], true)
      assert.equal((await introspect(rt, APP))['token_type'], 'refresh_token', 'found without a hint too')
      assert.equal((await t.postForm('/oauth/revoke', { token: rt, token_type_hint: hint }, APP)).status, 200)
      assert.deepEqual(await introspect(rt, APP), { active: false })
      const res = await t.postForm('/oauth/token', { grant_type: 'refresh_token', refresh_token: rt }, APP)
      assert.equal(((await res.json()) as Record<string, unknown>)['error'], 'invalid_grant')
    }
  })
})
