/**
 * Least-privilege lint on good and bad configurations. Configs go through the real validator
 * (defaults applied, units normalised) exactly as `portcullis validate` would load them.
 */
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from 'typebox'
import { validateConfigObject, formatIssues } from '../config/load.js'
import type { Config } from '../config/config.js'
import type { Policy } from '../core/types.js'
import { createRegistry } from '../policies/registry.js'
import { accessControlPolicy } from '../policies/access-control/index.js'
import { lintConfig, formatFindings, type LintFinding } from './lint.js'
import { isLoopbackHost, prefixLength } from './policy-checks.js'

const stub = (name: string, stage: Policy['stage']): Policy => ({
  name,
  stage,
  schema: Type.Object({}, { additionalProperties: true }),
  create: () => ({ onRequest: () => null }),
})
const base = createRegistry()
// Stand-ins only for policies not (yet) in the built-in registry; the lint needs names and stages.
const extra = [accessControlPolicy, stub('test-auth', 'authn'), stub('oauth', 'authn')].filter((p) => !base.has(p.name))
const registry = createRegistry(extra)

const ROLES = { admin: { inherits: ['user'] }, user: { inherits: ['guest'] }, guest: {} }
const guarded = (rules: unknown[] = [{ methods: ['GET'], roles: ['guest'] }, { roles: ['admin'] }]) => ({ name: 'access-control', config: { roles: ROLES, rules } })
const auth = { name: 'test-auth' }
const size = { name: 'request-size', config: { maxBodyBytes: '64kb' } }

function load(overrides: Record<string, unknown> = {}, routes?: unknown[]): Config {
  const raw = {
    admin: { host: '127.0.0.1', port: 0 },
    trustedProxies: ['10.0.0.0/8'],
    upstreams: { app: { url: 'http://127.0.0.1:3000' } },
    routes: routes ?? [{ name: 'stations', match: { path: '/v1/stations/*' }, upstream: 'app', policies: [auth, guarded(), size] }],
    ...overrides,
  }
  const result = validateConfigObject(structuredClone(raw), registry)
  if (!result.ok) throw new Error(`test config invalid:\n${formatIssues(result.errors)}`)
  return result.config
}
const route = (policies: unknown[], methods?: string[]) => [{ name: 'r', match: { path: '/r', ...(methods && { methods }) }, upstream: 'app', policies }]
const rules = (findings: LintFinding[]) => findings.map((f) => f.rule)
const find = (findings: LintFinding[], rule: string) => findings.find((f) => f.rule === rule)

describe('good configurations', () => {
  test('authn + stricter write rule + body cap + loopback admin: no findings', () => {
    const findings = lintConfig(load(), registry)
    assert.deepEqual(findings, [], formatFindings(findings))
  })

  test('a read-only route needs no body cap and has no write rule to compare', () => {
    assert.deepEqual(lintConfig(load({}, route([auth, guarded([{ roles: ['guest'] }])], ['GET'])), registry), [])
  })

  test('a deliberately public GET (allowAnonymous) is not reported as missing authentication', () => {
    const config = load({}, route([{ ...auth, methods: ['POST'] }, guarded([{ methods: ['GET', 'HEAD'], allowAnonymous: true }, { roles: ['admin'] }]), size], ['GET', 'POST']))
    assert.deepEqual(lintConfig(config, registry), [])
  })
})

describe('bad configurations', () => {
  test('route without authentication', () => {
    const f = find(lintConfig(load({}, route([guarded(), size])), registry), 'route-without-authn')
    assert.equal(f?.severity, 'warn')
    assert.equal(f?.pointer, '/routes/0')
    assert.match(f?.message ?? '', /no authentication policy/)
  })

  test('authn limited to GET leaves HEAD (and the rest) unauthenticated', () => {
    const f = find(lintConfig(load({}, route([{ ...auth, methods: ['GET'] }, guarded()], ['GET'])), registry), 'route-without-authn')
    assert.match(f?.message ?? '', /HEAD run without authentication.*"GET" does not cover HEAD/)
  })

  test('write methods allowed by the same rule as GET, or a rule no stricter', () => {
    const same = lintConfig(load({}, route([auth, guarded([{ roles: ['guest'] }]), size])), registry)
    const f = find(same, 'write-no-stricter-than-read')
    assert.equal(f?.pointer, '/routes/0/policies/1/config/rules/0')
    assert.match(f?.message ?? '', /POST, PUT, PATCH, DELETE allowed by the same rule that admits GET/)
    const laxer = lintConfig(load({}, route([auth, guarded([{ methods: ['GET', 'HEAD'], roles: ['admin'], scopes: ['r'] }, { roles: ['admin', 'user'] }]), size])), registry)
    assert.match(find(laxer, 'write-no-stricter-than-read')?.message ?? '', /rules\/1, no stricter than the GET rule \(rules\/0\)/)
    const stricter = lintConfig(load({}, route([auth, guarded([{ methods: ['GET', 'HEAD'], scopes: ['r'] }, { scopes: ['r', 'w'] }]), size])), registry)
    assert.equal(find(stricter, 'write-no-stricter-than-read'), undefined)
  })

  test('writes with no access-control at all', () => {
    const f = find(lintConfig(load({}, route([auth, size])), registry), 'write-without-authz')
    assert.match(f?.message ?? '', /POST, PUT, PATCH, DELETE pass with no access-control policy/)
  })

  test('oauth write scopes no more than read scopes', () => {
    const oauth = { name: 'oauth', config: { scopes: { read: ['stations:read'] } } }
    const f = find(lintConfig(load({}, route([oauth, size], ['GET', 'POST'])), registry), 'write-no-stricter-than-read')
    assert.equal(f?.pointer, '/routes/0/policies/0/config/scopes')
    const strict = { name: 'oauth', config: { scopes: { read: ['stations:read'], write: ['stations:write'] } } }
    assert.deepEqual(rules(lintConfig(load({}, route([strict, size], ['GET', 'POST'])), registry)), [])
  })

  test('wildcard scopes (* and foo:*) in any policy config', () => {
    const config = load({}, route([auth, guarded([{ methods: ['GET'], scopes: ['*'] }, { scopes: ['stations:*'] }]), size], ['GET', 'POST']))
    const found = lintConfig(config, registry).filter((f) => f.rule === 'wildcard-scope')
    assert.deepEqual(found.map((f) => f.pointer), ['/routes/0/policies/1/config/rules/0/scopes/0', '/routes/0/policies/1/config/rules/1/scopes/0'])
  })

  test('admin listener beyond loopback', () => {
    const f = find(lintConfig(load({ admin: { host: '0.0.0.0', port: 0 } }), registry), 'admin-not-loopback')
    assert.equal(f?.pointer, '/admin/host')
    assert.equal(isLoopbackHost('127.0.0.2'), true)
    assert.equal(isLoopbackHost('::1'), true)
    assert.equal(isLoopbackHost('localhost'), true)
    assert.equal(isLoopbackHost('::'), false)
    assert.equal(isLoopbackHost('192.168.1.4'), false)
  })

  test('trustedProxies containing 0.0.0.0/0 or ::/0 is an error, listed first', () => {
    const findings = lintConfig(load({ trustedProxies: ['10.0.0.0/8', '0.0.0.0/0', '::/0'] }, route([guarded()])), registry)
    assert.deepEqual(findings.filter((f) => f.rule === 'trusted-proxies-any').map((f) => [f.severity, f.pointer]), [['error', '/trustedProxies/1'], ['error', '/trustedProxies/2']])
    assert.equal(findings[0]?.severity, 'error')
    assert.equal(prefixLength('::ffff:0.0.0.0/96'), 0, 'IPv4-mapped any-address counts too')
  })

  test('an authn policy in monitor mode (and a disabled one)', () => {
    const monitor = find(lintConfig(load({}, route([{ ...auth, mode: 'monitor' }, guarded(), size])), registry), 'authn-monitor')
    assert.equal(monitor?.pointer, '/routes/0/policies/0/mode')
    const disabled = lintConfig(load({ policies: [{ name: 'test-auth', enabled: false }] }, route([guarded(), size])), registry)
    assert.equal(find(disabled, 'authn-disabled')?.pointer, '/policies/0/enabled')
    assert.ok(find(disabled, 'route-without-authn'), 'a disabled authn policy protects nothing')
  })

  test('request-size missing on a route with write methods', () => {
    const f = find(lintConfig(load({}, route([auth, guarded()], ['GET', 'POST'])), registry), 'write-without-request-size')
    assert.match(f?.message ?? '', /POST have no request-size maxBodyBytes; bodies up to the global 1048576 bytes/)
  })

  test('ip-filter allow list containing 0.0.0.0/0', () => {
    const ip = { name: 'ip-filter', config: { allow: ['192.0.2.0/24', '0.0.0.0/0'] } }
    assert.equal(find(lintConfig(load({}, route([ip, auth, guarded(), size])), registry), 'ip-filter-allow-any')?.pointer, '/routes/0/policies/0/config/allow/1')
  })

  test('anonymous writes, partial authorisation', () => {
    const findings = lintConfig(load({}, route([auth, { ...guarded([{ allowAnonymous: true }]), methods: ['POST'] }, size], ['GET', 'POST'])), registry)
    assert.ok(find(findings, 'anonymous-write'))
    assert.match(find(findings, 'partial-authz')?.message ?? '', /GET, HEAD skip authorisation/)
  })

  test('role cycles are configuration errors at load, with their pointer', () => {
    const cyclic = { name: 'access-control', config: { roles: { a: { inherits: ['b'] }, b: { inherits: ['a'] } }, rules: [{}] } }
    assert.throws(() => load({}, route([auth, cyclic, size])), /\/routes\/0\/policies\/1\/config\/roles\/a\/inherits +role inheritance cycle: a → b → a/)
  })

  test('a tenant header the gateway strips can never match: a lint error', () => {
    const stripped = { name: 'access-control', config: { rules: [{}], tenant: { from: 'header', name: 'X-Tenant-Id' } } }
    const findings = lintConfig(load({}, route([auth, stripped, size])), registry)
    assert.deepEqual(findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.pointer]), [['tenant-header-stripped', '/routes/0/policies/1/config/tenant/name']])
  })

  test('formatFindings prints one line per finding', () => {
    const text = formatFindings(lintConfig(load({ admin: { host: '0.0.0.0', port: 0 } }), registry))
    assert.match(text, /^warn {3}\/admin\/host {2}admin-not-loopback {2}the admin listener binds 0\.0\.0\.0/)
  })
})
