/**
 * access-control through a real gateway and a real upstream on loopback sockets. A tiny test-only
 * authn policy turns an `x-test-principal` JSON header into the Principal, so these tests do not
 * depend on the API-key or OAuth policies.
 */
import { test, before, after, describe } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { Type } from 'typebox'
import { startGateway, startUpstream, echoHandler } from '../../../test/helpers/gateway.js'
import { createRegistry } from '../registry.js'
import type { Policy, Principal } from '../../core/types.js'
import type { SecurityEvent } from '../../core/events.js'
import { accessControlPolicy } from './index.js'

/** Test-only authn: trusts a JSON header. Never do this outside tests. */
const testAuthPolicy: Policy = {
  name: 'test-auth',
  stage: 'authn',
  schema: Type.Object({}),
  create: () => ({
    onRequest(ctx) {
      const raw = ctx.headers['x-test-principal']
      if (typeof raw !== 'string') return { code: 'ERR_AUTH_REQUIRED', headers: { 'www-authenticate': 'Test realm="portcullis"' } }
      ctx.principal = { subject: 'anon', consumerId: 'c-anon', method: 'api-key', scopes: [], roles: [], ...(JSON.parse(raw) as Partial<Principal>) }
      return null
    },
  }),
}

const ROLES = {
  admin: { inherits: ['user'], permissions: ['stations:delete'] },
  user: { inherits: ['guest'], permissions: ['stations:write'] },
  guest: { permissions: ['stations:read'] },
}
const auth = { name: 'test-auth' }
const ac = (config: Record<string, unknown>) => ({ name: 'access-control', config: { roles: ROLES, ...config } })
const route = (name: string, path: string, policies: unknown[]) => ({ name, match: { path }, upstream: 'app', policies })

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>
const events: SecurityEvent[] = []

before(async () => {
  upstream = await startUpstream(echoHandler)
  gw = await startGateway(
    {
      upstreams: { app: { url: upstream.url } },
      policies: [],
      routes: [
        route('stations', '/v1/stations', [auth, ac({ rules: [{ methods: ['GET'], roles: ['guest'] }, { methods: ['POST'], roles: ['user'] }] })]),
        route('station', '/v1/stations/:id', [
          auth,
          ac({ rules: [{ methods: ['GET'], permissions: ['stations:read'] }, { methods: ['PUT', 'PATCH'], permissions: ['stations:write'] }, { methods: ['DELETE'], permissions: ['stations:delete'] }] }),
        ]),
        route('admin', '/v1/admin/*', [auth, ac({ rules: [{ roles: ['admin'] }] })]),
        route('scoped', '/scoped', [auth, ac({ rules: [{ methods: ['GET'], scopes: ['orders:read'] }, { scopes: ['orders:read', 'orders:write'] }] })]),
        route('partners', '/partners', [auth, ac({ rules: [{}], acl: { allow: ['c-1', 'c-2', 'group:partners'], deny: ['c-2', 'group:blocked'] } })]),
        route('tenant-path', '/tenants/:tenant/orders', [auth, ac({ rules: [{}], tenant: { from: 'path', name: 'tenant' } })]),
        route('tenant-header', '/orders-by-header', [auth, ac({ rules: [{}], tenant: { from: 'header', name: 'X-Tenant' } })]),
        route('tenant-body', '/orders', [auth, ac({ rules: [{}], tenant: { from: 'body', name: '/tenant' } })]),
        route('users', '/users/:id', [auth, ac({ rules: [{}], owner: { param: 'id', claim: 'sub', exemptRoles: ['admin'] } })]),
        route('profile', '/profile', [
          auth,
          ac({ rules: [{}], properties: [{ field: 'role', roles: ['admin'], action: 'refuse' }, { field: 'isAdmin', roles: ['admin'], action: 'strip' }] }),
        ]),
        route('public', '/public', [auth, ac({ rules: [{ methods: ['GET'], allowAnonymous: true }] })]),
        route('no-authn', '/no-authn', [ac({ rules: [{}] })]),
      ],
    },
    // Works before and after the registry line for access-control is added.
    { registry: createRegistry(createRegistry().has('access-control') ? [testAuthPolicy] : [testAuthPolicy, accessControlPolicy]) },
  )
  gw.gateway.events.subscribe((e) => events.push(e))
})
after(async () => {
  await gw?.stop()
  await upstream?.close()
})

async function send(method: string, path: string, who: Partial<Principal> | undefined, options: { headers?: Record<string, string>; json?: unknown } = {}) {
  const headers: Record<string, string> = { ...options.headers }
  if (who) headers['x-test-principal'] = JSON.stringify(who)
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const res = await request(`${gw.url}${path}`, { method: method as 'GET', headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: text && method !== 'HEAD' ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

describe('RBAC matrix over HTTP: admin, user, guest × routes × methods', () => {
  const cases: [string, string, Record<string, boolean>][] = [
    ['/v1/stations', 'GET', { admin: true, user: true, guest: true }],
    ['/v1/stations', 'POST', { admin: true, user: true, guest: false }],
    ['/v1/stations/7', 'GET', { admin: true, user: true, guest: true }],
    ['/v1/stations/7', 'HEAD', { admin: true, user: true, guest: true }],
    ['/v1/stations/7', 'PUT', { admin: true, user: true, guest: false }],
    ['/v1/stations/7', 'PATCH', { admin: true, user: true, guest: false }],
    ['/v1/stations/7', 'DELETE', { admin: true, user: false, guest: false }],
    ['/v1/admin/settings', 'GET', { admin: true, user: false, guest: false }],
    ['/v1/admin/settings', 'POST', { admin: true, user: false, guest: false }],
  ]
  for (const [path, method, expected] of cases) {
    for (const [role, allowed] of Object.entries(expected)) {
      test(`${role} ${method} ${path} → ${allowed ? 200 : 403}`, async () => {
        const res = await send(method, path, { roles: [role] })
        assert.equal(res.status, allowed ? 200 : 403)
        if (!allowed && method !== 'HEAD') assert.equal(res.json.code, 'ERR_ACCESS_DENIED')
      })
    }
  }
  test('a principal without roles is denied, a method outside every rule is denied', async () => {
    assert.equal((await send('GET', '/v1/stations', { roles: [] })).status, 403)
    assert.equal((await send('DELETE', '/v1/stations', { roles: ['admin'] })).status, 403)
  })
})

test('403 carries one generic detail; the precise reason is only in the security event', async () => {
  events.length = 0
  const res = await send('DELETE', '/v1/stations/7', { consumerId: 'c-user', roles: ['user'] })
  assert.equal(res.status, 403)
  assert.equal(res.json.detail, 'You do not have access to this resource.')
  assert.doesNotMatch(res.text, /stations:delete|rule/)
  const event = events.find((e) => e.policy === 'access-control')
  assert.equal(event?.action, 'reject')
  assert.equal(event?.code, 'ERR_ACCESS_DENIED')
  assert.match(event?.reason ?? '', /missing permissions \[stations:delete\]/)
  assert.equal(event?.principal?.consumerId, 'c-user')
})

test('no credential: the authn stage answers 401; a route without authn gets 403 anonymous from authz', async () => {
  const challenged = await send('GET', '/v1/stations', undefined)
  assert.equal(challenged.status, 401)
  assert.ok(challenged.headers['www-authenticate'])
  events.length = 0
  const anonymous = await send('GET', '/no-authn', undefined)
  assert.equal(anonymous.status, 403)
  assert.equal(anonymous.json.code, 'ERR_ACCESS_DENIED')
  assert.match(events.find((e) => e.policy === 'access-control')?.reason ?? '', /^anonymous/)
  assert.equal((await send('GET', '/public', undefined)).status, 401, 'authn still challenges a missing credential')
  assert.equal((await send('GET', '/public', { roles: [] })).status, 200)
})

test('scopes: OAuth token gets insufficient_scope with a Bearer challenge; API key gets the 403 alone', async () => {
  assert.equal((await send('GET', '/scoped', { method: 'oauth', scopes: ['orders:read'] })).status, 200)
  const oauth = await send('POST', '/scoped', { method: 'oauth', scopes: ['orders:read'] }, { json: {} })
  assert.equal(oauth.status, 403)
  assert.equal(oauth.json.code, 'ERR_INSUFFICIENT_SCOPE')
  assert.equal(oauth.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="orders:read orders:write"')
  const key = await send('POST', '/scoped', { method: 'api-key', scopes: ['orders:read'] }, { json: {} })
  assert.equal(key.status, 403)
  assert.equal(key.json.code, 'ERR_INSUFFICIENT_SCOPE')
  assert.equal(key.headers['www-authenticate'], undefined)
  assert.equal((await send('POST', '/scoped', { method: 'api-key', scopes: ['orders:write', 'orders:read'] }, { json: {} })).status, 200)
})

test('ACL: deny beats allow (consumer on both lists; allowed consumer in a denied group)', async () => {
  assert.equal((await send('GET', '/partners', { consumerId: 'c-1' })).status, 200)
  assert.equal((await send('GET', '/partners', { consumerId: 'c-2' })).status, 403)
  assert.equal((await send('GET', '/partners', { consumerId: 'c-1', groups: ['blocked'] })).status, 403)
  assert.equal((await send('GET', '/partners', { consumerId: 'c-9', groups: ['partners'] })).status, 200)
  assert.equal((await send('GET', '/partners', { consumerId: 'c-9' })).status, 403)
})

describe("tenant isolation: tenant A's credential reaching for tenant B's data", () => {
  const a = { consumerId: 'c-a', tenant: 'tenant-a' }
  test('path variant', async () => {
    assert.equal((await send('GET', '/tenants/tenant-a/orders', a)).status, 200)
    const res = await send('GET', '/tenants/tenant-b/orders', a)
    assert.equal(res.status, 403)
    assert.equal(res.json.code, 'ERR_TENANT_MISMATCH')
    assert.equal((await send('GET', '/tenants/tenant%2Db/orders', a)).status, 403, 'percent-encoding does not help')
  })
  test('header variant', async () => {
    assert.equal((await send('GET', '/orders-by-header', a, { headers: { 'x-tenant': 'tenant-a' } })).status, 200)
    assert.equal((await send('GET', '/orders-by-header', a, { headers: { 'x-tenant': 'tenant-b' } })).json.code, 'ERR_TENANT_MISMATCH')
    assert.equal((await send('GET', '/orders-by-header', a)).json.code, 'ERR_TENANT_MISMATCH', 'no header names no tenant')
  })
  test('body variant (and the security event names both tenants)', async () => {
    const ok = await send('POST', '/orders', a, { json: { tenant: 'tenant-a', item: 'x' } })
    assert.equal(ok.status, 200)
    assert.equal(JSON.parse(String(ok.json.body)).item, 'x', 'the upstream received the body intact')
    events.length = 0
    const res = await send('POST', '/orders', a, { json: { tenant: 'tenant-b', item: 'x' } })
    assert.equal(res.status, 403)
    assert.equal(res.json.code, 'ERR_TENANT_MISMATCH')
    const event = events.find((e) => e.code === 'ERR_TENANT_MISMATCH')
    assert.match(event?.reason ?? '', /"tenant-a".*"tenant-b"/)
    assert.equal(event?.principal?.tenant, 'tenant-a')
  })
})

test('owner check: /users/{id} with id == sub; another user 403; admin exempt', async () => {
  assert.equal((await send('GET', '/users/alice', { subject: 'alice', roles: ['user'] })).status, 200)
  assert.equal((await send('GET', '/users/bob', { subject: 'alice', roles: ['user'] })).status, 403)
  assert.equal((await send('GET', '/users/bob', { subject: 'root', roles: ['admin'] })).status, 200)
})

test('mass assignment: `role` refused for user, allowed for admin; `isAdmin` stripped for user', async () => {
  const refused = await send('PATCH', '/profile', { roles: ['user'] }, { json: { name: 'n', role: 'admin' } })
  assert.equal(refused.status, 403)
  assert.equal(refused.json.code, 'ERR_ACCESS_DENIED')
  const admin = await send('PATCH', '/profile', { roles: ['admin'] }, { json: { name: 'n', role: 'admin', isAdmin: true } })
  assert.equal(admin.status, 200)
  assert.deepEqual(JSON.parse(String(admin.json.body)), { name: 'n', role: 'admin', isAdmin: true })
  const stripped = await send('PATCH', '/profile', { roles: ['user'] }, { json: { name: 'n', isAdmin: true } })
  assert.equal(stripped.status, 200)
  const forwarded = JSON.parse(String(stripped.json.body)) as Record<string, unknown>
  assert.deepEqual(forwarded, { name: 'n' })
  const headers = stripped.json.headers as Record<string, string>
  assert.equal(Number(headers['content-length']), Buffer.byteLength(String(stripped.json.body)), 'content-length matches the new body')
})

test('body-based rules: form bodies 415, malformed JSON 400, duplicate keys 400', async () => {
  const who = JSON.stringify({ roles: ['user'], tenant: 'tenant-a' })
  const form = await request(`${gw.url}/profile`, { method: 'PATCH', headers: { 'x-test-principal': who, 'content-type': 'application/x-www-form-urlencoded' }, body: 'role=admin' })
  assert.equal(form.statusCode, 415)
  await form.body.text()
  const bad = await request(`${gw.url}/profile`, { method: 'PATCH', headers: { 'x-test-principal': who, 'content-type': 'application/json' }, body: '{"role":' })
  assert.equal(bad.statusCode, 400)
  assert.equal(((await bad.body.json()) as Record<string, unknown>).code, 'ERR_REQUEST_MALFORMED')
  const dup = await request(`${gw.url}/orders`, { method: 'POST', headers: { 'x-test-principal': who, 'content-type': 'application/json' }, body: '{"tenant":"tenant-b","tenant":"tenant-a"}' })
  assert.equal(dup.statusCode, 400)
  await dup.body.text()
})
