/**
 * OAuth through the gateway: a client registered on the admin API gets a token from the gateway's
 * own authorization server and calls a route protected by the `oauth` policy, with scopes per method.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'
import { adminClient } from '../helpers/admin.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>
let admin: ReturnType<typeof adminClient>

before(async () => {
  upstream = await startUpstream(echoHandler)
  gw = await startGateway(
    simpleConfig(upstream.url, {
      policies: [
        { name: 'api-key' },
        { name: 'oauth', config: { local: true, scopes: { byMethod: { GET: ['stations:read'], POST: ['stations:write'] } } } },
      ],
    }),
  )
  admin = adminClient(gw.adminUrl)
})
after(async () => {
  await gw.stop()
  await upstream.close()
})

async function token(clientId: string, secret: string, scope: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`${gw.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

test('discovery metadata and JWKS are served on the gateway listener', async () => {
  const meta = await request(`${gw.url}/.well-known/oauth-authorization-server`)
  const doc = (await meta.body.json()) as Record<string, string>
  assert.equal(doc.issuer, 'http://gateway.test')
  // The authorization server writes its own responses; the gateway's request id still goes on.
  assert.match(String(meta.headers['x-request-id']), /^[\w-]{8,}$/)
  assert.equal(doc.token_endpoint, 'http://gateway.test/oauth/token')
  const jwksResponse = await request(`${gw.url}/.well-known/jwks.json`, { headers: { 'x-request-id': 'trace-jwks-0001' } })
  assert.equal(jwksResponse.headers['x-request-id'], 'trace-jwks-0001')
  const jwks = (await jwksResponse.body.json()) as { keys: { kty: string; d?: string }[] }
  assert.ok(jwks.keys.length >= 1)
  assert.ok(jwks.keys.every((k) => k.kty === 'EC' && k.d === undefined), 'public keys only')
})

test('client_credentials → bearer JWT → scoped access per method; a revoked token is refused', async () => {
  const consumer = await admin.createConsumer({ name: 'partner', tenant: 'acme', roles: ['user'] })
  const created = await admin.call<{ clientId: string; clientSecret: string }>('POST', '/admin/clients', { name: 'partner app', scopes: ['stations:read'], consumerId: consumer.id })
  assert.equal(created.status, 201)
  const { clientId, clientSecret } = created.body
  const issued = await token(clientId, clientSecret, 'stations:read')
  assert.equal(issued.status, 200)
  assert.equal(issued.body.token_type, 'Bearer')
  const access = issued.body.access_token as string
  const read = await request(`${gw.url}/stations`, { headers: { authorization: `Bearer ${access}` } })
  assert.equal(read.statusCode, 200)
  await read.body.text()
  const write = await request(`${gw.url}/stations`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' } })
  assert.equal(write.statusCode, 403)
  assert.match(String(write.headers['www-authenticate']), /insufficient_scope/)
  await write.body.text()
  const tooMuch = await token(clientId, clientSecret, 'stations:write')
  assert.equal(tooMuch.status, 400)
  assert.equal(tooMuch.body.error, 'invalid_scope')
  const revoke = await request(`${gw.url}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ token: access }).toString(),
  })
  assert.equal(revoke.statusCode, 200)
  await revoke.body.text()
  const after = await request(`${gw.url}/stations`, { headers: { authorization: `Bearer ${access}` } })
  assert.equal(after.statusCode, 401)
  assert.match(String(after.headers['www-authenticate']), /invalid_token/)
  await after.body.text()
})

test('API keys and OAuth tokens are alternatives on one route; no credential lists both challenges', async () => {
  const consumer = await admin.createConsumer({ name: 'key user' })
  const key = await admin.createKey(consumer.id)
  const withKey = await request(`${gw.url}/stations`, { headers: { authorization: `Bearer ${key.key}` } })
  assert.equal(withKey.statusCode, 200)
  await withKey.body.text()
  const anonymous = await request(`${gw.url}/stations`)
  assert.equal(anonymous.statusCode, 401)
  const challenge = String(anonymous.headers['www-authenticate'])
  assert.match(challenge, /ApiKey realm="portcullis"/)
  assert.match(challenge, /Bearer realm="portcullis"/)
  await anonymous.body.text()
  const badJwt = await request(`${gw.url}/stations`, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } })
  assert.equal(badJwt.statusCode, 401)
  await badJwt.body.text()
})

test('a client secret is never stored or shown again', async () => {
  const created = await admin.call<{ clientId: string; clientSecret: string }>('POST', '/admin/clients', { name: 'secretive', scopes: ['a'] })
  const shown = await admin.call<Record<string, unknown>>('GET', `/admin/clients/${created.body.clientId}`)
  assert.equal(shown.body.clientSecret, undefined)
  assert.equal(shown.body.secretHash, undefined)
  const row = await gw.gateway.deps.data.getClient(created.body.clientId)
  assert.notEqual(row?.secretHash, created.body.clientSecret)
  assert.ok(!JSON.stringify(row).includes(created.body.clientSecret))
})
