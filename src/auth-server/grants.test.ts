import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeJwt } from 'jose'
import { pkcePair, startTestAuthServer, type TestAuthServer } from './testing.js'

const APP = { id: 'web-app', secret: 'w'.repeat(43) }
const OTHER = { id: 'other-app', secret: 'o'.repeat(43) }
const REDIRECT = 'http://127.0.0.1:9/callback'

interface TokenBody {
  access_token: string
  refresh_token?: string
  scope: string
  error?: string
}

/** Drives the front channel like a browser: GET the page, POST the login form, read the redirect. */
async function authorize(t: TestAuthServer, params: Record<string, string>, login: Record<string, string> = { username: 'alice', password: 'correct horse', decision: 'allow' }): Promise<URL> {
  const page = await fetch(t.url + '/oauth/authorize?' + new URLSearchParams(params).toString(), { redirect: 'manual' })
  if (page.status === 303) return new URL(page.headers.get('location')!)
  assert.equal(page.status, 200, await page.clone().text())
  const html = await page.text()
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1]
  assert.ok(requestId, 'login page carries a request handle')
  const res = await t.postForm('/oauth/authorize', { request_id: requestId, ...login })
  assert.equal(res.status, 303, `login should redirect, got ${res.status}`)
  return new URL(res.headers.get('location')!)
}

function codeRequest(challenge: string, extra: Record<string, string> = {}): Record<string, string> {
  return { response_type: 'code', client_id: APP.id, redirect_uri: REDIRECT, scope: 'stations:read', state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256', ...extra }
}

async function token(t: TestAuthServer, form: Record<string, string>, client = APP): Promise<{ status: number; body: TokenBody }> {
  const res = await t.postForm('/oauth/token', form, client)
  return { status: res.status, body: (await res.json()) as TokenBody }
}

async function codeFlow(t: TestAuthServer): Promise<TokenBody> {
  const { verifier, challenge } = pkcePair()
  const cb = await authorize(t, codeRequest(challenge))
  const res = await token(t, { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier })
  assert.equal(res.status, 200)
  return res.body
}

describe('authorization_code with PKCE and the login/consent page', () => {
  let t: TestAuthServer
  before(async () => {
    t = await startTestAuthServer()
    for (const c of [APP, OTHER]) {
      t.clients.addClient({ clientId: c.id, secret: c.secret, scopes: ['stations:read', 'stations:write'], grants: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT] })
    }
    t.users.addUser('alice', 'correct horse', { subject: 'user-alice', tenant: 'acme', roles: ['editor'] })
  })
  after(() => t.close())

  it('shows an accessible, framing-proof login page', async () => {
    const { challenge } = pkcePair()
    const res = await fetch(t.url + '/oauth/authorize?' + new URLSearchParams(codeRequest(challenge)).toString())
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-frame-options'), 'DENY')
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/)
    const html = await res.text()
    assert.match(html, /<html lang="en">/)
    assert.match(html, /<label for="username">/)
    assert.match(html, /<label for="password">/)
    assert.match(html, /<legend>/)
    assert.match(html, /stations:read/)
  })

  it('issues a code bound to PKCE, then tokens for the user (with iss and state in the redirect)', async () => {
    const { verifier, challenge } = pkcePair()
    const cb = await authorize(t, codeRequest(challenge))
    assert.equal(cb.origin + cb.pathname, REDIRECT)
    assert.equal(cb.searchParams.get('state'), 'xyz')
    assert.equal(cb.searchParams.get('iss'), t.url, 'RFC 9207')
    const code = cb.searchParams.get('code')!
    const res = await token(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier })
    assert.equal(res.status, 200)
    assert.equal(res.body.scope, 'stations:read')
    assert.match(res.body.refresh_token ?? '', /^rt_/)
    const claims = decodeJwt(res.body.access_token)
    assert.equal(claims.sub, 'user-alice')
    assert.equal(claims['client_id'], APP.id)
    assert.equal(claims['tenant'], 'acme')
    assert.deepEqual(claims['roles'], ['editor'])
  })

  it('refuses a wrong verifier, a missing verifier, a wrong redirect_uri and another client', async () => {
    for (const [form, client] of [
      [{ code_verifier: pkcePair().verifier }, APP],
      [{ code_verifier: undefined }, APP],
      [{ redirect_uri: 'http://127.0.0.1:9/other' }, APP],
      [{}, OTHER],
    ] as const) {
      const { verifier, challenge } = pkcePair()
      const cb = await authorize(t, codeRequest(challenge))
      const merged: Record<string, string | undefined> = { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier, ...form }
      const body = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined))
      const res = await token(t, body, client)
      assert.equal(res.status, 400)
      assert.equal(res.body.error, 'invalid_grant')
    }
  })

  it('accepts only S256 (plain and missing challenges are refused back to the client)', async () => {
    const { challenge } = pkcePair()
    let cb = await authorize(t, codeRequest(challenge, { code_challenge_method: 'plain' }))
    assert.equal(cb.searchParams.get('error'), 'invalid_request')
    assert.equal(cb.searchParams.get('state'), 'xyz')
    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = codeRequest(challenge)
    cb = await authorize(t, noPkce)
    assert.equal(cb.searchParams.get('error'), 'invalid_request')
    cb = await authorize(t, codeRequest(challenge, { scope: 'admin' }))
    assert.equal(cb.searchParams.get('error'), 'invalid_scope')
  })

  it('never redirects to an unregistered redirect_uri (no open redirector)', async () => {
    const { challenge } = pkcePair()
    const res = await fetch(t.url + '/oauth/authorize?' + new URLSearchParams(codeRequest(challenge, { redirect_uri: 'https://evil.example/cb' })).toString(), { redirect: 'manual' })
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('location'), null)
  })

  it('re-shows the page on a wrong password and redirects access_denied on deny', async () => {
    const { challenge } = pkcePair()
    const page = await (await fetch(t.url + '/oauth/authorize?' + new URLSearchParams(codeRequest(challenge)).toString())).text()
    const requestId = /name="request_id" value="([^"]+)"/.exec(page)![1]!
    const bad = await t.postForm('/oauth/authorize', { request_id: requestId, username: 'alice', password: 'nope', decision: 'allow' })
    assert.equal(bad.status, 401)
    assert.match(await bad.text(), /role="alert"/)
    const deny = await t.postForm('/oauth/authorize', { request_id: requestId, decision: 'deny' })
    assert.equal(deny.status, 303)
    assert.equal(new URL(deny.headers.get('location')!).searchParams.get('error'), 'access_denied')
    const again = await t.postForm('/oauth/authorize', { request_id: requestId, username: 'alice', password: 'correct horse', decision: 'allow' })
    assert.equal(again.status, 400, 'a completed request cannot be reused')
  })

  it('a replayed code is refused and revokes the tokens the first use produced', async () => {
    const { verifier, challenge } = pkcePair()
    const cb = await authorize(t, codeRequest(challenge))
    const form = { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier }
    const first = await token(t, form)
    assert.equal(first.status, 200)
    const replay = await token(t, form)
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    const refreshed = await token(t, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token! })
    assert.equal(refreshed.body.error, 'invalid_grant', 'refresh family revoked')
    const jti = String(decodeJwt(first.body.access_token).jti)
    assert.equal(await t.auth.accessTokens.isRevoked(jti), true, 'access token revoked')
  })
})

describe('refresh_token: rotation and reuse detection', () => {
  let t: TestAuthServer
  before(async () => {
    t = await startTestAuthServer()
    for (const c of [APP, OTHER]) {
      t.clients.addClient({ clientId: c.id, secret: c.secret, scopes: ['stations:read', 'stations:write'], grants: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT] })
    }
    t.users.addUser('alice', 'correct horse', { subject: 'user-alice' })
  })
  after(() => t.close())

  it('rotates: each refresh returns a new refresh token and the old one stops working', async () => {
    const initial = await codeFlow(t)
    const r1 = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token! })
    assert.equal(r1.status, 200)
    assert.notEqual(r1.body.refresh_token, initial.refresh_token)
    assert.notEqual(r1.body.access_token, initial.access_token)
    const r2 = await token(t, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token! })
    assert.equal(r2.status, 200)
  })

  it('replay of a rotated refresh token revokes the whole family (RT and ATs)', async () => {
    const initial = await codeFlow(t)
    const r1 = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token! })
    assert.equal(r1.status, 200)
    // The attacker (or the legitimate client) presents the rotated RT0 again.
    const replay = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token! })
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    // The current RT1 is dead too, and so are the access tokens of the family.
    const next = await token(t, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token! })
    assert.equal(next.body.error, 'invalid_grant')
    for (const at of [initial.access_token, r1.body.access_token]) {
      assert.equal(await t.auth.accessTokens.isRevoked(String(decodeJwt(at).jti)), true)
    }
  })

  it('two concurrent refreshes with the same token: at most one succeeds', async () => {
    const initial = await codeFlow(t)
    const results = await Promise.all([1, 2, 3].map(() => token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token! })))
    assert.ok(results.filter((r) => r.status === 200).length <= 1)
    assert.ok(results.some((r) => r.body.error === 'invalid_grant'))
  })

  it('refuses another client, extra scope (without spending the token) and narrows on request', async () => {
    const initial = await codeFlow(t)
    const stolen = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token! }, OTHER)
    assert.equal(stolen.body.error, 'invalid_grant')
    const wider = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token!, scope: 'stations:read stations:write' })
    assert.equal(wider.body.error, 'invalid_scope')
    const ok = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token!, scope: 'stations:read' })
    assert.equal(ok.status, 200, 'the token survived the refused requests')
  })

  it('expired refresh tokens are refused', async () => {
    const initial = await codeFlow(t)
    t.clock.advance(15 * 86_400_000)
    const res = await token(t, { grant_type: 'refresh_token', refresh_token: initial.refresh_token! })
    assert.equal(res.body.error, 'invalid_grant')
  })
})
