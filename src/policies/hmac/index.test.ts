/**
 * The policy over real sockets: fetch + signFetchRequest → node:http → RequestContext → hmac.
 * Round trips for every method, bodies, query parameters and non-ASCII paths as fetch encodes
 * them; attacks on the wire; the 401 shape; and two "instances" sharing one Redis nonce store.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { Value } from 'typebox/value'
import { Redis } from 'ioredis'
import { RequestContext } from '../../core/context.js'
import type { PolicyHandler, Rejection } from '../../core/types.js'
import { signFetchRequest, signRequestHeaders } from '../../signing/sign.js'
import { createHmacPolicy, HMAC_INVALID_DETAIL, reconstructTargetUri } from './index.js'
import { HmacSchema, type HmacConfig } from './schema.js'
import { createMemoryNonceStore, createRedisNonceStore, type NonceStore } from './replay.js'
import { generateHmacKeyId, generateHmacSecret, hmacKeyFromSecret } from './credentials.js'
import type { HmacKeyResolver } from './verify.js'

const KEY_ID = generateHmacKeyId()
const SECRET = generateHmacSecret()
const resolver: HmacKeyResolver = (id) =>
  id === KEY_ID ? { keyId: id, alg: 'hmac-sha256', secret: hmacKeyFromSecret(SECRET), consumerId: 'cons-1', tenant: 't1', scopes: ['transfers:write'], roles: ['payer'] } : null

interface Started { url: string; reasons: string[]; server: Server }
const servers: Server[] = []
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))))

async function start(nonces: NonceStore = createMemoryNonceStore(), config: Partial<HmacConfig> = {}): Promise<Started> {
  const fullConfig = Value.Default(HmacSchema, structuredClone(config)) as HmacConfig
  assert.ok(Value.Check(HmacSchema, fullConfig))
  const handler: PolicyHandler = await createHmacPolicy(resolver, nonces).create(fullConfig, undefined as never)
  const reasons: string[] = []
  const server = createServer(async (req, res) => {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const ctx = new RequestContext({
      id: 'req-1', req, res, path: q === -1 ? raw : raw.slice(0, q), rawQuery: q === -1 ? '' : raw.slice(q + 1),
      clientIp: '127.0.0.1', secure: false, maxBodyBytes: 1 << 20, bodyTimeoutMs: 5000,
    })
    const rejection = (await handler.onRequest(ctx)) as Rejection | null
    if (rejection) {
      reasons.push(rejection.reason ?? '')
      res.writeHead(401, { 'content-type': 'application/json', ...rejection.headers })
      res.end(JSON.stringify({ code: rejection.code, detail: rejection.detail }))
      return
    }
    const body = await ctx.readBody()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ principal: ctx.principal, method: ctx.method, path: ctx.path, query: ctx.rawQuery, body: body.toString('base64') }))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reasons, server }
}

const gw = await start()

const PATHS = [
  '/v1/stations',
  '/v1/stations/ünïcødé/日本',
  '/v1/a%2Fb/%E2%82%AC?x=1',
  '/search?q=a b&plus=1+2&emoji=😀&dup=1&dup=2&empty=&flag',
  '/',
]
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const BODIES: (string | Uint8Array | undefined)[] = ['{"amount":10,"note":"café ✓"}', new Uint8Array([0, 1, 2, 255, 254]), '', undefined]

test('round trips: every method × bodies × query parameters × non-ASCII paths verify and reach the handler', async () => {
  let count = 0
  for (const method of METHODS) {
    for (const path of PATHS) {
      for (const body of method === 'GET' || method === 'HEAD' ? [undefined] : BODIES) {
        const init: RequestInit = { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) }
        const signed = await signFetchRequest(new Request(`${gw.url}${path}`, init), { keyId: KEY_ID, secret: SECRET })
        const res = await fetch(signed)
        const text = await res.text()
        assert.equal(res.status, 200, `${method} ${path} ${String(body)}: ${text} ${gw.reasons.at(-1)}`)
        if (method !== 'HEAD') {
          const echoed = JSON.parse(text)
          assert.equal(echoed.method, method)
          assert.equal(echoed.principal.credentialId, KEY_ID)
          assert.equal(Buffer.from(echoed.body, 'base64').length, body === undefined ? 0 : Buffer.from(body).length)
        }
        count++
      }
    }
  }
  assert.equal(count, 2 * PATHS.length + 5 * PATHS.length * BODIES.length)
})

test('the principal carries consumer, tenant, scopes, roles and the key id', async () => {
  const res = await fetch(await signFetchRequest(new Request(`${gw.url}/v1/me`), { keyId: KEY_ID, secret: SECRET }))
  const { principal } = await res.json() as { principal: Record<string, unknown> }
  assert.deepEqual(principal, { subject: 'cons-1', consumerId: 'cons-1', tenant: 't1', method: 'hmac', scopes: ['transfers:write'], roles: ['payer'], credentialId: KEY_ID })
})

async function sendRaw(base: string, path: string, method: string, headers: Record<string, string | string[]>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      let data = ''
      res.setEncoding('utf8').on('data', (c) => (data += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function signFor(base: string, path: string, method: string, body?: string, extra: Partial<Parameters<typeof signRequestHeaders>[0]> = {}) {
  const host = new URL(base).host
  const headers: Record<string, string> = { host, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }
  return { ...headers, ...signRequestHeaders({ keyId: KEY_ID, secret: SECRET, method, url: `http://${host}${path}`, headers, body, ...extra }) }
}

test('401s on the wire: generic detail, WWW-Authenticate and Accept-Signature, precise reason only server-side', async () => {
  const missing = await sendRaw(gw.url, '/v1/transfers', 'POST', { 'content-type': 'application/json' }, '{}')
  assert.equal(missing.status, 401)
  assert.equal(JSON.parse(missing.body).code, 'ERR_AUTH_REQUIRED')
  assert.equal(missing.headers['www-authenticate'], 'Signature realm="portcullis"')
  assert.equal(missing.headers['accept-signature'], 'sig1=("@method" "@target-uri" "content-type" "content-digest");created')

  const body = '{"to":"a","amount":1}'
  const headers = signFor(gw.url, '/v1/transfers?x=1', 'POST', body)
  const cases: [string, string, string, string | undefined, string][] = [
    ['body tampered', '/v1/transfers?x=1', 'POST', '{"to":"b","amount":1}', 'digest_mismatch'],
    ['query tampered', '/v1/transfers?x=2', 'POST', body, 'signature_mismatch'],
    ['method changed', '/v1/transfers?x=1', 'PUT', body, 'signature_mismatch'],
    ['path changed', '/v1/transfer5?x=1', 'POST', body, 'signature_mismatch'],
  ]
  for (const [name, path, method, sentBody, reason] of cases) {
    const res = await sendRaw(gw.url, path, method, headers, sentBody)
    assert.equal(res.status, 401, name)
    assert.deepEqual(JSON.parse(res.body), { code: 'ERR_AUTH_INVALID', detail: HMAC_INVALID_DETAIL }, name)
    assert.ok(res.headers['www-authenticate'], name)
    assert.match(gw.reasons.at(-1)!, new RegExp(`^${reason}:`), name)
  }
  // The untouched original still works once, then is a replay.
  assert.equal((await sendRaw(gw.url, '/v1/transfers?x=1', 'POST', headers, body)).status, 200)
  const replay = await sendRaw(gw.url, '/v1/transfers?x=1', 'POST', headers, body)
  assert.equal(replay.status, 401)
  assert.match(gw.reasons.at(-1)!, /^replayed:/)
})

test('a Host header that differs from the signed authority is refused', async () => {
  const headers = { ...signFor(gw.url, '/v1/x', 'GET'), host: 'evil.example' }
  assert.equal((await sendRaw(gw.url, '/v1/x', 'GET', headers)).status, 401)
  assert.match(gw.reasons.at(-1)!, /^signature_mismatch:/)
})

test('repeated field lines are combined as RFC 9421 §2.1 says, also where Node keeps only the first', async () => {
  const body = '{"amount":1}'
  const host = new URL(gw.url).host
  const components = ['@method', '@target-uri', 'content-type', 'content-digest', 'x-tag']
  const sign = (contentType: string) =>
    signRequestHeaders({ keyId: KEY_ID, secret: SECRET, method: 'POST', url: `http://${host}/v1/x`, headers: { host, 'content-type': contentType, 'x-tag': 'a, b' }, body, components })
  const lines = { host, 'content-type': ['application/json', 'text/plain'], 'x-tag': ['a', 'b'] }
  const combined = await sendRaw(gw.url, '/v1/x', 'POST', { ...lines, ...sign('application/json, text/plain') }, body)
  assert.equal(combined.status, 200, gw.reasons.at(-1))
  // Node's merged `headers` keeps only the first Content-Type line: a signature over that must fail.
  assert.equal((await sendRaw(gw.url, '/v1/x', 'POST', { ...lines, ...sign('application/json') }, body)).status, 401)
  assert.match(gw.reasons.at(-1)!, /^signature_mismatch:/)
})

test('target URI reconstruction uses the scheme the listener saw and the Host header', () => {
  const ctx = { secure: true, path: '/a%20b', rawQuery: 'x=1', headers: { host: 'api.example.com' } }
  assert.equal(reconstructTargetUri(ctx as never), 'https://api.example.com/a%20b?x=1')
  assert.equal(reconstructTargetUri({ ...ctx, secure: false, rawQuery: '' } as never), 'http://api.example.com/a%20b')
  assert.equal(reconstructTargetUri({ ...ctx, headers: {} } as never), undefined)
})

test('registry entry refuses to start without a key resolver and nonce store', async () => {
  const { hmacPolicy } = await import('./index.js')
  const config = Value.Default(HmacSchema, {}) as HmacConfig
  assert.throws(() => hmacPolicy.create(config, { state: { kind: 'memory' } } as never), /hmacKeys/)
})

const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

test('two gateway instances sharing Redis accept a signed request exactly once', async (t) => {
  const clients = [0, 1].map(() => new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null }))
  try {
    await Promise.all(clients.map((c) => c.connect()))
  } catch (error) {
    clients.forEach((c) => c.disconnect())
    if (process.env.CI === 'true') throw error
    console.warn(`\n!!! SKIPPING shared-Redis replay test: ${REDIS_URL} unreachable (${(error as Error).message}) !!!\n`)
    t.skip('redis unreachable')
    return
  }
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  try {
    const [a, b] = await Promise.all(clients.map((c) => start(createRedisNonceStore(c, prefix))))
    // Both instances sit behind one public name, so the signed authority is the same.
    const body = '{"amount":5}'
    const headers = { ...signFor('http://api.example.test', '/v1/transfers', 'POST', body) }
    const results = await Promise.all([
      sendRaw(a!.url, '/v1/transfers', 'POST', headers, body),
      sendRaw(b!.url, '/v1/transfers', 'POST', headers, body),
      sendRaw(a!.url, '/v1/transfers', 'POST', headers, body),
      sendRaw(b!.url, '/v1/transfers', 'POST', headers, body),
    ])
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401])
  } finally {
    const keys = await clients[0]!.keys(`${prefix}*`)
    if (keys.length > 0) await clients[0]!.del(...keys)
    clients.forEach((c) => c.disconnect())
  }
})
