/**
 * Every token attack from the brief (and auth-vectors.md §4.4), built by hand with node:crypto,
 * sent over a real socket to a route guarded by the `oauth` policy. Each must be refused, and
 * the test checks the refusal came from the intended check (test-only reason header).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { pkcePair, startTestAuthServer, type TestAuthServer } from '../../auth-server/testing.js'
import { oauthHandler, protectedApi, TEST_REASON_HEADER } from './testing.js'

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')

/** Compact JWS over arbitrary header/payload; ES256 with IEEE P1363 signatures as JWS requires. */
function es256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

describe('oauth policy refuses token attacks', () => {
  let t: TestAuthServer
  let ourKey: KeyObject
  let ourKid: string
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const REDIRECT = 'http://127.0.0.1:9/cb'

  before(async () => {
    t = await startTestAuthServer()
    t.clients.addClient({ clientId: 'svc', secret: 's'.repeat(43), scopes: ['stations:read'], grants: ['client_credentials'], redirectUris: [] })
    t.clients.addClient({ clientId: 'app', secret: 'a'.repeat(43), scopes: ['stations:read'], grants: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT] })
    t.users.addUser('eve', 'pw-eve-12345', { subject: 'user-eve' })
    t.setFallback(protectedApi(oauthHandler({ jwksCooldownMs: 0 }, { state: t.state, local: t.auth, now: t.clock.now })))
    const stored = (await t.keyStore.load())![0]!
    ourKey = createPrivateKey({ key: stored.privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' })
    ourKid = stored.kid
  })
  after(() => t.close())

  const nowS = (): number => Math.floor(t.clock.now() / 1000)
  const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: t.url, sub: 'svc', aud: t.url, iat: nowS(), nbf: nowS(), exp: nowS() + 60, jti: `j-${Math.random()}`, client_id: 'svc', scope: 'stations:read', ...extra,
  })
  const header = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: 'ES256', typ: 'at+jwt', kid: ourKid, ...extra })
  /** Sends the token; asserts 401 invalid_token and that the reason matches. */
  const refused = async (token: string, reason: RegExp): Promise<void> => {
    const res = await fetch(t.url + '/v1/stations', { headers: { authorization: `Bearer ${token}` } })
    const why = decodeURIComponent(res.headers.get(TEST_REASON_HEADER) ?? '')
    assert.equal(res.status, 401, `expected refusal, got ${res.status} (${why})`)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis", error="invalid_token"')
    assert.match(why, reason)
  }

  it('control: a token forged with our own key and correct claims IS accepted (so the refusals below are meaningful)', async () => {
    const res = await fetch(t.url + '/v1/stations', { headers: { authorization: `Bearer ${es256(header(), claims(), ourKey)}` } })
    assert.equal(res.status, 200)
  })

  it('alg: none (all spellings, with and without a signature)', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await refused(`${b64({ alg, typ: 'at+jwt' })}.${b64(claims())}.`, /signature missing/)
      const real = es256(header(), claims(), ourKey).split('.')[2]
      await refused(`${b64({ alg, typ: 'at+jwt', kid: ourKid })}.${b64(claims())}.${real}`, /unsecured/)
    }
  })

  it('HS256 signed with our public key (PEM and JWK forms) — algorithm confusion', async () => {
    const pub = createPublicKey(ourKey)
    for (const secret of [pub.export({ type: 'spki', format: 'pem' }) as string, JSON.stringify(t.auth.jwks().keys[0])]) {
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: ourKid })}.${b64(claims())}`
      await refused(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, /alg HS256 not allowed/)
    }
  })

  it('embedded jwk (CVE-2018-0114), jku and x5u headers', async () => {
    const jwk = attacker.publicKey.export({ format: 'jwk' })
    await refused(es256(header({ jwk, kid: undefined }), claims(), attacker.privateKey), /forbidden header parameter jwk/)
    await refused(es256(header({ jku: 'http://127.0.0.1:9/jwks.json', kid: 'evil' }), claims(), attacker.privateKey), /forbidden header parameter jku/)
    await refused(es256(header({ x5u: 'http://127.0.0.1:9/cert.pem' }), claims(), attacker.privateKey), /forbidden header parameter x5u/)
    await refused(es256(header({ x5c: ['MIIB'] }), claims(), attacker.privateKey), /forbidden header parameter x5c/)
  })

  it('kid with path traversal or SQL is never resolved to a key', async () => {
    for (const kid of ['../../../../../../dev/null', "x' UNION SELECT 'AAAA' -- ", '" OR 1=1 --', 'a\u0000b']) {
      await refused(es256(header({ kid }), claims(), attacker.privateKey), /JWKS_NO_MATCHING_KEY|malformed kid/)
    }
  })

  it('a token signed by another key under our kid', async () => {
    await refused(es256(header(), claims(), attacker.privateKey), /SIGNATURE_VERIFICATION_FAILED/)
  })

  it('expired, not yet valid (nbf), iat in the future — beyond the 30 s skew', async () => {
    await refused(es256(header(), claims({ exp: nowS() - 31, iat: nowS() - 120, nbf: nowS() - 120 }), ourKey), /ERR_JWT_EXPIRED/)
    await refused(es256(header(), claims({ nbf: nowS() + 3600 }), ourKey), /"nbf"/)
    await refused(es256(header(), claims({ iat: nowS() + 3600, nbf: undefined }), ourKey), /"iat"/)
  })

  it('wrong aud, missing aud, wrong iss', async () => {
    await refused(es256(header(), claims({ aud: 'https://other-api.example' }), ourKey), /"aud"/)
    await refused(es256(header(), claims({ aud: undefined }), ourKey), /"aud"/)
    await refused(es256(header(), claims({ iss: 'https://evil-as.example' }), ourKey), /issuer not configured/)
    await refused(es256(header(), claims({ iss: t.url + '/' }), ourKey), /issuer not configured/)
  })

  it('signature stripped or payload tampered', async () => {
    const [h, p] = es256(header(), claims(), ourKey).split('.')
    await refused(`${h}.${p}.`, /signature missing/)
    await refused(`${h}.${p}`, /not a compact JWS/)
    const good = es256(header(), claims({ scope: 'stations:read' }), ourKey).split('.')
    await refused(`${good[0]}.${b64(claims({ scope: 'stations:read stations:write admin' }))}.${good[2]}`, /SIGNATURE_VERIFICATION_FAILED/)
  })

  it('payload tampered under the signature of a token the cache already holds', async () => {
    const good = es256(header(), claims({ scope: 'stations:read' }), ourKey)
    const ok = (): Promise<number> => fetch(t.url + '/v1/stations', { headers: { authorization: `Bearer ${good}` } }).then((r) => r.status)
    assert.equal(await ok(), 200, 'verified and cached')
    const [h, , s] = good.split('.')
    await refused(`${h}.${b64(claims({ scope: 'stations:read stations:write admin' }))}.${s}`, /SIGNATURE_VERIFICATION_FAILED/)
    await refused(`${h}.${good.split('.')[1]}x.${s}`, /SIGNATURE_VERIFICATION_FAILED|not JSON|base64/)
    assert.equal(await ok(), 200, 'the genuine token is still served')
  })

  it('ECDSA psychic signatures (CVE-2022-21449): r = s = 0 and r = s = n', async () => {
    const input = `${b64(header())}.${b64(claims())}`
    await refused(`${input}.${Buffer.alloc(64).toString('base64url')}`, /ECDSA signature out of range/)
    await refused(`${input}.${Buffer.concat([P256_N, P256_N]).toString('base64url')}`, /ECDSA signature out of range/)
    await refused(`${input}.${Buffer.alloc(8).toString('base64url')}`, /wrong length/)
  })

  it('crit with an unknown extension', async () => {
    await refused(es256(header({ crit: ['x-custom'], 'x-custom': 1 }), claims(), ourKey), /forbidden header parameter crit/)
    await refused(es256(header({ crit: ['exp'] }), claims(), ourKey), /forbidden header parameter crit/)
  })

  it('an unconfigured issuer, even with a perfectly valid signature from its own key', async () => {
    await refused(es256({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, claims({ iss: 'https://idp.attacker.example' }), attacker.privateKey), /issuer not configured/)
    await refused(es256(header(), claims({ iss: undefined }), ourKey), /issuer not configured/)
  })

  it('an ID token (typ JWT or untyped, aud = client id) used as an access token', async () => {
    const idClaims = claims({ aud: 'svc', nonce: 'n-1', auth_time: nowS() })
    await refused(es256(header({ typ: 'JWT' }), idClaims, ourKey), /"typ"/)
    await refused(es256(header({ typ: undefined }), idClaims, ourKey), /"typ"/)
    await refused(es256(header({ typ: 'JWT' }), claims(), ourKey), /"typ"/, )
  })

  it('RFC 9068 required claims (jti, client_id, exp) must be present', async () => {
    await refused(es256(header(), claims({ jti: undefined }), ourKey), /"jti"/)
    await refused(es256(header(), claims({ client_id: undefined }), ourKey), /"client_id"/)
    await refused(es256(header(), claims({ exp: undefined }), ourKey), /"exp"/)
    await refused(es256(header(), claims({ exp: String(nowS() + 60) }), ourKey), /"exp"/)
  })

  it('malformed shapes: JWE, duplicate alg, padding, oversize', async () => {
    await refused('a.b.c.d.e', /JWE/)
    const [, p, s] = es256(header(), claims(), ourKey).split('.')
    await refused(`${b64('{"alg":"ES256","typ":"at+jwt","alg":"none"}')}.${p}.${s}`, /duplicate alg/)
    await refused(`${b64(header())}.${p}=.${s}`, /b64token|base64url|malformed bearer/)
    await refused(es256(header(), claims({ pad: 'x'.repeat(9000) }), ourKey), /too long|malformed bearer/)
  })

  it('replay of a rotated refresh token: the family is revoked and its access tokens are refused by the policy', async () => {
    const { verifier, challenge } = pkcePair()
    const q = new URLSearchParams({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' })
    const html = await (await fetch(`${t.url}/oauth/authorize?${q}`)).text()
    const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1]!
    const login = await t.postForm('/oauth/authorize', { request_id: requestId, username: 'eve', password: 'pw-eve-12345', decision: 'allow' })
    const code = new URL(login.headers.get('location')!).searchParams.get('code')!
    const app = { id: 'app', secret: 'a'.repeat(43) }
    const first = (await (await t.postForm('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, app)).json()) as Record<string, string>
    const second = (await (await t.postForm('/oauth/token', { grant_type: 'refresh_token', refresh_token: first['refresh_token']! }, app)).json()) as Record<string, string>
    const call = (token: string): Promise<number> => fetch(t.url + '/v1/stations', { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)
    assert.equal(await call(second['access_token']!), 200)
    const replay = await t.postForm('/oauth/token', { grant_type: 'refresh_token', refresh_token: first['refresh_token']! }, app)
    assert.equal(replay.status, 400)
    assert.equal(((await replay.json()) as Record<string, string>)['error'], 'invalid_grant')
    await refused(second['access_token']!, /token revoked/)
    await refused(first['access_token']!, /token revoked/)
  })
})
