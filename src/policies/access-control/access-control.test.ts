/**
 * access-control unit tests: the decision logic on fake contexts (no sockets). The same behaviour
 * through a real gateway is in access-control-e2e.test.ts.
 */
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createAccessControlHandler, checkAccessControlConfig, ACCESS_DENIED_DETAIL, type AccessControlInput } from './access-control.js'
import { SecurityEvents, type SecurityEvent } from '../../core/events.js'
import { decide, fakeContext, principal } from './test-support.js'

const ROLES: AccessControlInput['roles'] = {
  admin: { inherits: ['user'], permissions: ['stations:delete', 'users:manage'] },
  user: { inherits: ['guest'], permissions: ['stations:write'] },
  guest: { inherits: [], permissions: ['stations:read'] },
}

/** Three routes of a stations API, each with its own rule set. */
const ROUTES: Record<string, AccessControlInput> = {
  collection: { roles: ROLES, rules: [{ methods: ['GET'], roles: ['guest'] }, { methods: ['POST'], roles: ['user'] }] },
  item: {
    roles: ROLES,
    rules: [
      { methods: ['GET'], permissions: ['stations:read'] },
      { methods: ['PUT', 'PATCH'], permissions: ['stations:write'] },
      { methods: ['DELETE'], permissions: ['stations:delete'] },
    ],
  },
  admin: { roles: ROLES, rules: [{ roles: ['admin'] }] },
}

// role → route → method → allowed?  (a role inherits everything below it: admin ⊃ user ⊃ guest)
const MATRIX: Record<string, Record<string, Record<string, boolean>>> = {
  admin: { collection: { GET: true, POST: true }, item: { GET: true, PUT: true, PATCH: true, DELETE: true }, admin: { GET: true, POST: true, DELETE: true } },
  user: { collection: { GET: true, POST: true }, item: { GET: true, PUT: true, PATCH: true, DELETE: false }, admin: { GET: false, POST: false, DELETE: false } },
  guest: { collection: { GET: true, POST: false }, item: { GET: true, PUT: false, PATCH: false, DELETE: false }, admin: { GET: false, POST: false, DELETE: false } },
  nobody: { collection: { GET: false, POST: false }, item: { GET: false, PUT: false, PATCH: false, DELETE: false }, admin: { GET: false, POST: false, DELETE: false } },
}

describe('RBAC matrix: roles × routes × methods, with inheritance', () => {
  for (const [role, routes] of Object.entries(MATRIX)) {
    for (const [route, methods] of Object.entries(routes)) {
      for (const [method, allowed] of Object.entries(methods)) {
        test(`${role} ${method} ${route} → ${allowed ? 'allow' : 'deny'}`, async () => {
          const handler = createAccessControlHandler(ROUTES[route]!)
          const result = await decide(handler, { method, principal: principal({ roles: role === 'nobody' ? [] : [role] }) })
          if (allowed) assert.equal(result, null)
          else {
            assert.equal(result?.code, 'ERR_ACCESS_DENIED')
            assert.equal(result?.detail, ACCESS_DENIED_DETAIL)
            assert.ok(result?.reason, 'the precise reason is recorded for the event')
          }
        })
      }
    }
  }
})

describe('deny by default', () => {
  test('no rules at all → every method denied', async () => {
    const handler = createAccessControlHandler({ roles: ROLES })
    const result = await decide(handler, { principal: principal({ roles: ['admin'] }) })
    assert.equal(result?.code, 'ERR_ACCESS_DENIED')
    assert.match(result?.reason ?? '', /no rule covers GET/)
  })

  test('a method no rule names is denied even for admin; HEAD follows the GET rule', async () => {
    const handler = createAccessControlHandler(ROUTES.collection!)
    const admin = principal({ roles: ['admin'] })
    assert.equal((await decide(handler, { method: 'DELETE', principal: admin }))?.code, 'ERR_ACCESS_DENIED')
    assert.equal(await decide(handler, { method: 'HEAD', principal: principal({ roles: ['guest'] }) }), null)
    assert.equal((await decide(handler, { method: 'HEAD', principal: principal({ roles: [] }) }))?.code, 'ERR_ACCESS_DENIED')
  })

  test('the first matching rule decides, later rules are not consulted', async () => {
    const handler = createAccessControlHandler({ roles: ROLES, rules: [{ methods: ['GET'], roles: ['admin'] }, { roles: ['guest'] }] })
    assert.equal((await decide(handler, { method: 'GET', principal: principal({ roles: ['user'] }) }))?.code, 'ERR_ACCESS_DENIED')
    assert.equal(await decide(handler, { method: 'POST', principal: principal({ roles: ['guest'] }) }), null)
  })

  test('no Principal → 403 ERR_ACCESS_DENIED with reason anonymous (never a 401 from authz)', async () => {
    const handler = createAccessControlHandler({ rules: [{}] })
    const result = await decide(handler, {})
    assert.equal(result?.code, 'ERR_ACCESS_DENIED')
    assert.match(result?.reason ?? '', /^anonymous/)
    assert.equal(result?.headers, undefined)
  })

  test('allowAnonymous is the only way through without a Principal', async () => {
    const handler = createAccessControlHandler({ rules: [{ methods: ['GET'], allowAnonymous: true }, { roles: ['x'] }] })
    assert.equal(await decide(handler, { method: 'GET' }), null)
    assert.equal((await decide(handler, { method: 'POST' }))?.code, 'ERR_ACCESS_DENIED')
  })

  test('a rule without requirements admits any authenticated Principal', async () => {
    const handler = createAccessControlHandler({ rules: [{}] })
    assert.equal(await decide(handler, { principal: principal() }), null)
  })
})

describe('scopes', () => {
  const handler = createAccessControlHandler({ rules: [{ methods: ['GET'], scopes: ['stations:read'] }, { scopes: ['stations:read', 'stations:write'] }] })

  test('OAuth token: all scopes needed; a missing one → 403 insufficient_scope with the challenge', async () => {
    const token = principal({ method: 'oauth', scopes: ['stations:read'] })
    assert.equal(await decide(handler, { method: 'GET', principal: token }), null)
    const result = await decide(handler, { method: 'POST', principal: token })
    assert.equal(result?.code, 'ERR_INSUFFICIENT_SCOPE')
    assert.equal(result?.headers?.['www-authenticate'], 'Bearer error="insufficient_scope", scope="stations:read stations:write"')
    assert.match(result?.reason ?? '', /missing scopes \[stations:write\]/)
    assert.equal(await decide(handler, { method: 'POST', principal: principal({ method: 'oauth', scopes: ['stations:write', 'stations:read'] }) }), null)
  })

  test('API key scopes: same decision, no Bearer challenge', async () => {
    const key = principal({ method: 'api-key', scopes: ['stations:read'] })
    assert.equal(await decide(handler, { method: 'GET', principal: key }), null)
    const result = await decide(handler, { method: 'PUT', principal: key })
    assert.equal(result?.code, 'ERR_INSUFFICIENT_SCOPE')
    assert.equal(result?.headers, undefined)
  })

  test('scopes match exactly: a wildcard-looking grant is not expanded', async () => {
    const result = await decide(handler, { method: 'GET', principal: principal({ scopes: ['stations:*', '*'] }) })
    assert.equal(result?.code, 'ERR_INSUFFICIENT_SCOPE')
  })
})

describe('ACL', () => {
  const handler = createAccessControlHandler({ rules: [{}], acl: { allow: ['c-ok', 'c-both', 'group:partners'], deny: ['c-both', 'group:suspended'] } })

  test('deny beats allow: a consumer on both lists is refused', async () => {
    const result = await decide(handler, { principal: principal({ consumerId: 'c-both' }) })
    assert.equal(result?.code, 'ERR_ACCESS_DENIED')
    assert.match(result?.reason ?? '', /acl deny: consumer c-both/)
  })

  test('a denied group beats an allowed consumer and an allowed group', async () => {
    const result = await decide(handler, { principal: principal({ consumerId: 'c-ok', groups: ['partners', 'suspended'] }) })
    assert.match(result?.reason ?? '', /acl deny: group suspended/)
  })

  test('allow list: listed consumers and group members pass, everybody else is refused', async () => {
    assert.equal(await decide(handler, { principal: principal({ consumerId: 'c-ok' }) }), null)
    assert.equal(await decide(handler, { principal: principal({ consumerId: 'c-other', groups: ['partners'] }) }), null)
    assert.match((await decide(handler, { principal: principal({ consumerId: 'c-other' }) }))?.reason ?? '', /not on the allow list/)
  })

  test('an allow list refuses anonymous requests even on an allowAnonymous rule', async () => {
    const open = createAccessControlHandler({ rules: [{ allowAnonymous: true }], acl: { allow: ['c-ok'] } })
    assert.equal((await decide(open, {}))?.code, 'ERR_ACCESS_DENIED')
  })
})

describe('tenant isolation', () => {
  const tenantA = principal({ tenant: 'tenant-a' })
  const variants: { name: string; config: AccessControlInput['tenant']; own: Parameters<typeof decide>[1]; other: Parameters<typeof decide>[1] }[] = [
    { name: 'path', config: { from: 'path', name: 'tenant' }, own: { params: { tenant: 'tenant-a' } }, other: { params: { tenant: 'tenant-b' } } },
    { name: 'header', config: { from: 'header', name: 'X-Tenant' }, own: { headers: { 'x-tenant': 'tenant-a' } }, other: { headers: { 'x-tenant': 'tenant-b' } } },
    { name: 'body', config: { from: 'body', name: '/order/tenant' }, own: { method: 'POST', json: { order: { tenant: 'tenant-a' } } }, other: { method: 'POST', json: { order: { tenant: 'tenant-b' } } } },
  ]
  for (const v of variants) {
    test(`${v.name}: own tenant passes, another tenant → ERR_TENANT_MISMATCH, none named → refused`, async () => {
      const handler = createAccessControlHandler({ rules: [{}], tenant: v.config })
      assert.equal(await decide(handler, { ...v.own, principal: tenantA }), null)
      const result = await decide(handler, { ...v.other, principal: tenantA })
      assert.equal(result?.code, 'ERR_TENANT_MISMATCH')
      assert.equal(result?.detail, ACCESS_DENIED_DETAIL)
      assert.match(result?.reason ?? '', /principal tenant "tenant-a", .* names "tenant-b"/)
      assert.equal((await decide(handler, { method: 'POST', principal: tenantA }))?.code, 'ERR_TENANT_MISMATCH')
      assert.equal((await decide(handler, { ...v.own, principal: principal() }))?.code, 'ERR_TENANT_MISMATCH', 'a Principal without a tenant')
    })
  }

  test('a repeated tenant header (two values) is refused', async () => {
    const handler = createAccessControlHandler({ rules: [{}], tenant: { from: 'header', name: 'x-tenant' } })
    assert.equal((await decide(handler, { headers: { 'x-tenant': ['tenant-a', 'tenant-b'] }, principal: tenantA }))?.code, 'ERR_TENANT_MISMATCH')
  })

  test('body: non-string tenant and duplicate keys cannot smuggle a second value', async () => {
    const handler = createAccessControlHandler({ rules: [{}], tenant: { from: 'body', name: 'tenant' } })
    assert.equal((await decide(handler, { method: 'POST', json: { tenant: ['tenant-a'] }, principal: tenantA }))?.code, 'ERR_TENANT_MISMATCH')
    const dup = await decide(handler, { method: 'POST', raw: '{"tenant":"tenant-b","tenant":"tenant-a"}', headers: { 'content-type': 'application/json' }, principal: tenantA })
    assert.equal(dup?.code, 'ERR_REQUEST_MALFORMED')
    assert.match(dup?.reason ?? '', /duplicate JSON key "tenant"/)
  })

  test('tenant.methods limits the check (a GET without body is not asked for a body tenant)', async () => {
    const handler = createAccessControlHandler({ rules: [{}], tenant: { from: 'body', name: 'tenant', methods: ['POST'] } })
    assert.equal(await decide(handler, { method: 'GET', principal: tenantA }), null)
    assert.equal((await decide(handler, { method: 'POST', json: { tenant: 'tenant-b' }, principal: tenantA }))?.code, 'ERR_TENANT_MISMATCH')
  })
})

describe('owner check', () => {
  test('id == sub passes, another id is refused, exempt roles pass', async () => {
    const handler = createAccessControlHandler({ roles: ROLES, rules: [{}], owner: { param: 'id', claim: 'sub', exemptRoles: ['admin'] } })
    assert.equal(await decide(handler, { params: { id: 'alice' }, principal: principal({ subject: 'alice', roles: ['user'] }) }), null)
    const result = await decide(handler, { params: { id: 'bob' }, principal: principal({ subject: 'alice', roles: ['user'] }) })
    assert.equal(result?.code, 'ERR_ACCESS_DENIED')
    assert.match(result?.reason ?? '', /owner check: id="bob" is not sub="alice"/)
    assert.equal(await decide(handler, { params: { id: 'bob' }, principal: principal({ subject: 'alice', roles: ['admin'] }) }), null)
  })

  test('consumerId and custom claims (string or integer) are supported; a missing claim is refused', async () => {
    const byConsumer = createAccessControlHandler({ rules: [{}], owner: { param: 'id', claim: 'consumerId' } })
    assert.equal(await decide(byConsumer, { params: { id: 'c-9' }, principal: principal({ consumerId: 'c-9' }) }), null)
    const byClaim = createAccessControlHandler({ rules: [{}], owner: { param: 'id', claim: 'user_id' } })
    assert.equal(await decide(byClaim, { params: { id: '42' }, principal: principal({ claims: { user_id: 42 } }) }), null)
    assert.match((await decide(byClaim, { params: { id: '42' }, principal: principal() }))?.reason ?? '', /has no user_id claim/)
  })
})

describe('property rules (mass assignment)', () => {
  const config: AccessControlInput = {
    roles: ROLES,
    rules: [{}],
    properties: [
      { field: 'role', roles: ['admin'], action: 'refuse' },
      { field: '/billing/price', roles: ['admin'], action: 'refuse' },
      { field: 'isAdmin', roles: [], action: 'strip' },
      { field: '/items/*/discount', roles: ['admin'], action: 'strip' },
    ],
  }

  test('a refused field: 403 for user, allowed for admin (inherited roles count)', async () => {
    const handler = createAccessControlHandler(config)
    const result = await decide(handler, { method: 'PATCH', json: { name: 'x', role: 'admin' }, principal: principal({ roles: ['user'] }) })
    assert.equal(result?.code, 'ERR_ACCESS_DENIED')
    assert.equal(result?.detail, ACCESS_DENIED_DETAIL)
    assert.match(result?.reason ?? '', /role may not be set/)
    assert.equal(await decide(handler, { method: 'PATCH', json: { name: 'x', role: 'admin' }, principal: principal({ roles: ['admin'] }) }), null)
    assert.equal((await decide(handler, { method: 'POST', json: { billing: { price: 0 } }, principal: principal({ roles: ['user'] }) }))?.code, 'ERR_ACCESS_DENIED')
  })

  test('field names match case-insensitively (frameworks that bind IsAdmin to isAdmin)', async () => {
    const handler = createAccessControlHandler(config)
    assert.equal((await decide(handler, { method: 'POST', json: { ROLE: 'admin' }, principal: principal({ roles: ['user'] }) }))?.code, 'ERR_ACCESS_DENIED')
  })

  test('strip: the field is removed from what the upstream receives, an event says so', async () => {
    const events = new SecurityEvents()
    const seen: SecurityEvent[] = []
    events.subscribe((e) => seen.push(e))
    const handler = createAccessControlHandler(config, events)
    const fake = fakeContext({ method: 'POST', json: { name: 'x', IsAdmin: true, items: [{ sku: 'a', discount: 50 }, { sku: 'b' }] }, principal: principal({ roles: ['user'] }) })
    assert.equal(await handler.onRequest(fake.ctx), null)
    assert.deepEqual(JSON.parse(fake.replaced() ?? 'null'), { name: 'x', items: [{ sku: 'a' }, { sku: 'b' }] })
    assert.equal(seen[0]?.type, 'access-control.strip')
    assert.deepEqual(seen[0]?.details, { fields: ['isAdmin', '/items/*/discount'] })
  })

  test('nothing to strip → body untouched; no body → never read; reads only when rules need it', async () => {
    const handler = createAccessControlHandler(config)
    const clean = fakeContext({ method: 'POST', json: { name: 'x' }, principal: principal({ roles: ['user'] }) })
    assert.equal(await handler.onRequest(clean.ctx), null)
    assert.equal(clean.replaced(), undefined)
    const empty = fakeContext({ method: 'GET', principal: principal({ roles: ['user'] }) })
    assert.equal(await handler.onRequest(empty.ctx), null)
    assert.equal(empty.bodyReads(), 0)
    const plain = createAccessControlHandler({ rules: [{}] })
    const withBody = fakeContext({ method: 'POST', json: { role: 'admin' }, principal: principal() })
    assert.equal(await plain.onRequest(withBody.ctx), null)
    assert.equal(withBody.bodyReads(), 0, 'no body rule → the body streams untouched')
  })

  test('non-JSON body → 415, malformed JSON → 400, both before anything reaches the upstream', async () => {
    const handler = createAccessControlHandler(config)
    const user = principal({ roles: ['user'] })
    assert.equal((await decide(handler, { method: 'POST', raw: 'role=admin', headers: { 'content-type': 'application/x-www-form-urlencoded' }, principal: user }))?.code, 'ERR_UNSUPPORTED_MEDIA_TYPE')
    assert.equal((await decide(handler, { method: 'POST', raw: '{"role":', headers: { 'content-type': 'application/json' }, principal: user }))?.code, 'ERR_REQUEST_MALFORMED')
    assert.equal(await decide(handler, { method: 'PATCH', raw: '{"name":"y"}', headers: { 'content-type': 'application/merge-patch+json' }, principal: user }), null)
  })

  test('an unauthorised client is refused before its body is read', async () => {
    const handler = createAccessControlHandler({ ...config, rules: [{ roles: ['admin'] }] })
    const fake = fakeContext({ method: 'POST', json: { role: 'admin' }, principal: principal({ roles: ['user'] }) })
    assert.equal((await handler.onRequest(fake.ctx))?.code, 'ERR_ACCESS_DENIED')
    assert.equal(fake.bodyReads(), 0)
  })
})

describe('config errors fail at create', () => {
  test('an inheritance cycle is a clear error naming the cycle', () => {
    const roles = { a: { inherits: ['b'], permissions: [] }, b: { inherits: ['c'], permissions: [] }, c: { inherits: ['a'], permissions: [] } }
    assert.throws(() => createAccessControlHandler({ roles, rules: [{}] }), /role inheritance cycle: a → b → c → a/)
    assert.throws(() => createAccessControlHandler({ roles: { a: { inherits: ['a'], permissions: [] } } }), /cycle: a → a/)
  })

  test('unknown roles, and allowAnonymous with requirements, are listed with their paths', () => {
    assert.deepEqual(checkAccessControlConfig({ roles: { a: { inherits: ['ghost'], permissions: [] } } }).map((i) => i.path), ['/roles/a/inherits/0'])
    const issues = checkAccessControlConfig({ roles: ROLES, rules: [{ roles: ['admn'] }, { allowAnonymous: true, scopes: ['x'] }], properties: [{ field: 'role', roles: ['root'], action: 'refuse' }] })
    assert.deepEqual(issues.map((i) => i.path), ['/rules/0/roles/0', '/rules/1/allowAnonymous', '/properties/0/roles/0'])
    assert.throws(() => createAccessControlHandler({ roles: ROLES, rules: [{ roles: ['admn'] }] }), /unknown role "admn"/)
  })

  test('without a roles table, rules may name any role the Principal carries', async () => {
    const handler = createAccessControlHandler({ rules: [{ roles: ['ops'] }] })
    assert.equal(await decide(handler, { principal: principal({ roles: ['ops'] }) }), null)
  })
})
