/**
 * API keys end to end: admin API → key → requests through the gateway, over real sockets.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'
import { adminClient } from '../helpers/admin.js'
import { openDataStore } from '../../src/store/data/open.js'
import { createMemoryStateStore } from '../../src/store/state/memory.js'
import type { DataStore } from '../../src/store/data/types.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>
let admin: ReturnType<typeof adminClient>
let dir: string
let lookups = 0

const apiKeyPolicy = { name: 'api-key', config: { bruteForce: { window: '10s', slowAfter: 100, blockAfter: 5, blockFor: '600ms' } } }

function gatewayConfig(url: string): Record<string, unknown> {
  return { ...simpleConfig(url, { policies: [apiKeyPolicy] }), trustedProxies: ['127.0.0.1/32'] }
}

/** Counts hot-path lookups, to prove a malformed key never reaches the store. */
function counting(data: DataStore): DataStore {
  return new Proxy(data, {
    get(target, prop, receiver) {
      if (prop === 'findApiKeyByHash') lookups++
      const value = Reflect.get(target, prop, receiver) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

async function startWithFile(): Promise<Awaited<ReturnType<typeof startGateway>>> {
  const data = counting(await openDataStore(`sqlite:${join(dir, 'data.db')}`))
  return startGateway(gatewayConfig(upstream.url), { stores: { data, state: createMemoryStateStore() }, home: dir })
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-keys-'))
  upstream = await startUpstream(echoHandler)
  gw = await startWithFile()
  admin = adminClient(gw.adminUrl)
})
after(async () => {
  await gw.stop()
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
})

async function get(key: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  const res = await request(`${gw.url}/things`, { headers: { ...(key ? { 'x-api-key': key } : {}), 'x-forwarded-for': headers['x-forwarded-for'] ?? '198.51.100.1', 'x-forwarded-proto': 'https', ...headers } })
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown>, headers: res.headers }
}

test('anonymous → 401 with WWW-Authenticate', async () => {
  const res = await get(undefined)
  assert.equal(res.status, 401)
  assert.match(String(res.headers['www-authenticate']), /^ApiKey realm="portcullis"/)
  assert.equal(res.body.code, 'ERR_AUTH_REQUIRED')
})

test('create → use (also as Bearer) → revoke → 401 at once', async () => {
  const consumer = await admin.createConsumer({ name: 'weather app', tenant: 'acme', roles: ['user'] })
  const key = await admin.createKey(consumer.id, { scopes: ['stations:read'] })
  assert.match(key.key, /^pcl_live_[A-Za-z0-9]{32}_[A-Za-z0-9]{6}$/)
  const ok = await get(key.key)
  assert.equal(ok.status, 200)
  const forwarded = (ok.body.headers as Record<string, string>)
  assert.equal(forwarded['x-portcullis-consumer'], undefined, 'identity headers are the gateway\'s to set')
  const bearer = await request(`${gw.url}/things`, { headers: { authorization: `Bearer ${key.key}` } })
  assert.equal(bearer.statusCode, 200)
  await bearer.body.text()
  const revoked = await admin.call('DELETE', `/admin/keys/${key.id}`)
  assert.equal(revoked.status, 204)
  const after = await get(key.key, { 'x-forwarded-for': '198.51.100.2' })
  assert.equal(after.status, 401)
  assert.equal(after.body.code, 'ERR_AUTH_INVALID')
  assert.equal(after.body.detail, 'The credential is not valid.')
})

test('unknown, revoked, expired and malformed keys look the same from outside', async () => {
  const consumer = await admin.createConsumer()
  const expired = await admin.createKey(consumer.id, { expiresAt: Date.now() - 1000 })
  const fake = 'pcl_live_' + 'A'.repeat(32) + '_AAAAAA'
  const ip = { 'x-forwarded-for': '198.51.100.3' }
  const bodies = await Promise.all([get(expired.key, ip), get(fake, ip), get('garbage', ip)])
  for (const res of bodies) {
    assert.equal(res.status, 401)
    assert.equal(res.body.code, 'ERR_AUTH_INVALID')
    assert.equal(res.body.detail, 'The credential is not valid.')
  }
})

test('a mistyped key (bad checksum) is refused without a store lookup', async () => {
  const consumer = await admin.createConsumer()
  const key = await admin.createKey(consumer.id)
  const last = key.key.at(-1) === 'a' ? 'b' : 'a'
  const typo = key.key.slice(0, -1) + last
  const before = lookups
  const res = await get(typo, { 'x-forwarded-for': '198.51.100.4' })
  assert.equal(res.status, 401)
  assert.equal(lookups, before, 'no findApiKeyByHash call for a malformed key')
})

test('rotate with grace: old and new both work until the grace ends, then the old one is 401', async () => {
  const consumer = await admin.createConsumer()
  const old = await admin.createKey(consumer.id)
  const rotated = await admin.call<{ id: string; key: string; graceUntil: string }>('POST', `/admin/keys/${old.id}/rotate`, { graceMs: 400 })
  assert.equal(rotated.status, 201)
  assert.equal((await get(old.key)).status, 200)
  assert.equal((await get(rotated.body.key)).status, 200)
  await new Promise((resolve) => setTimeout(resolve, Date.parse(rotated.body.graceUntil) - Date.now() + 50))
  assert.equal((await get(old.key, { 'x-forwarded-for': '198.51.100.5' })).status, 401)
  assert.equal((await get(rotated.body.key)).status, 200)
  const oldRecord = await admin.call<{ state: string; replacedBy: string }>('GET', `/admin/keys/${old.id}`)
  assert.equal(oldRecord.body.state, 'rotated')
  assert.equal(oldRecord.body.replacedBy, rotated.body.id)
})

test('CIDR allowlist: 403 from outside it, IPv4 and IPv6', async () => {
  const consumer = await admin.createConsumer()
  const key = await admin.createKey(consumer.id, { allowCidrs: ['198.51.100.0/24', '2001:db8:7::/48'] })
  assert.equal((await get(key.key, { 'x-forwarded-for': '198.51.100.20' })).status, 200)
  assert.equal((await get(key.key, { 'x-forwarded-for': '2001:db8:7::5' })).status, 200)
  const outside4 = await get(key.key, { 'x-forwarded-for': '192.0.2.20' })
  assert.equal(outside4.status, 403)
  assert.equal(outside4.body.code, 'ERR_AUTH_FORBIDDEN')
  assert.equal((await get(key.key, { 'x-forwarded-for': '2001:db8:8::5' })).status, 403)
})

test('app restrictions: Origin patterns for browser apps, app id for mobile apps', async () => {
  const consumer = await admin.createConsumer()
  const browser = await admin.createKey(consumer.id, { allowedOrigins: ['https://app.example.com', 'https://*.example.org'] })
  assert.equal((await get(browser.key, { origin: 'https://app.example.com' })).status, 200)
  assert.equal((await get(browser.key, { origin: 'https://eu.example.org' })).status, 200)
  assert.equal((await get(browser.key, { referer: 'https://app.example.com/page?x=1' })).status, 200)
  assert.equal((await get(browser.key, { origin: 'https://evil.example.net' })).status, 403)
  assert.equal((await get(browser.key)).status, 403, 'no Origin at all is refused for a browser-only key')
  const mobile = await admin.createKey(consumer.id, { allowedApps: ['com.example.weather'] })
  assert.equal((await get(mobile.key, { 'x-app-id': 'com.example.weather' })).status, 200)
  assert.equal((await get(mobile.key, { 'x-app-id': 'com.other.app' })).status, 403)
})

test('brute force: repeated invalid keys from one IP are blocked, then the block expires', async () => {
  const consumer = await admin.createConsumer()
  const good = await admin.createKey(consumer.id)
  const ip = { 'x-forwarded-for': '203.0.113.77' }
  for (let i = 0; i < 5; i++) assert.equal((await get('pcl_live_' + 'B'.repeat(32) + '_BBBBBB', ip)).status, 401)
  const blocked = await get(good.key, ip)
  assert.equal(blocked.status, 429, 'even a valid key is refused while the IP is blocked')
  assert.equal(blocked.body.code, 'ERR_AUTH_LOCKED')
  assert.ok(Number(blocked.headers['retry-after']) >= 1)
  assert.equal((await get(good.key, { 'x-forwarded-for': '203.0.113.78' })).status, 200, 'other IPs are unaffected')
  await new Promise((resolve) => setTimeout(resolve, 700))
  assert.equal((await get(good.key, ip)).status, 200)
})

test('usage counts equal the requests sent; logs filter by key; audit records every change', async () => {
  const consumer = await admin.createConsumer()
  const key = await admin.createKey(consumer.id)
  for (let i = 0; i < 7; i++) await get(key.key)
  const usage = await admin.call<{ total: number; points: { route: string; statusClass: string; count: number }[] }>('GET', `/admin/usage?key=${key.id}`)
  assert.equal(usage.status, 200)
  assert.equal(usage.body.total, 7)
  assert.deepEqual(usage.body.points.map((p) => [p.route, p.statusClass]), [['all', '2xx']])
  const byConsumer = await admin.call<{ total: number }>('GET', `/admin/usage?consumer=${consumer.id}&granularity=day`)
  assert.equal(byConsumer.body.total, 7)
  const logs = await admin.call<{ items: { keyId: string; status: number }[] }>('GET', `/admin/logs?key=${key.id}`)
  assert.equal(logs.body.items.length, 7)
  assert.ok(logs.body.items.every((l) => l.keyId === key.id && l.status === 200))
  const audit = await admin.call<{ items: { action: string; target: string; actor: string }[] }>('GET', `/admin/audit?target=${key.id}`)
  assert.deepEqual(audit.body.items.map((a) => [a.action, a.actor]), [['key.create', 'test']])
})

test('admin errors are problems; bodies are validated with every error listed', async () => {
  const bad = await admin.call<{ code: string; errors: { pointer: string }[] }>('POST', '/admin/consumers', { name: '', roles: 'admin', extra: 1 })
  assert.equal(bad.status, 422)
  assert.equal(bad.body.code, 'ERR_ADMIN_INVALID')
  assert.deepEqual(bad.body.errors.map((e) => e.pointer).sort(), ['/extra', '/name', '/roles'])
  const missing = await admin.call('GET', '/admin/keys/nope')
  assert.equal(missing.status, 404)
  const viewer = adminClient(gw.adminUrl, 'wrong-token')
  assert.equal((await viewer.call('POST', '/admin/consumers', { name: 'x' })).status, 401)
})

test('nothing lost across a restart, and no key in plaintext in the database file or the logs', async () => {
  const consumer = await admin.createConsumer({ name: 'durable' })
  const key = await admin.createKey(consumer.id)
  for (let i = 0; i < 3; i++) await get(key.key)
  await gw.stop()
  const logText = gw.log.text()
  gw = await startWithFile()
  admin = adminClient(gw.adminUrl)
  assert.equal((await get(key.key)).status, 200, 'the key survives the restart')
  const usage = await admin.call<{ total: number }>('GET', `/admin/usage?key=${key.id}`)
  assert.equal(usage.body.total, 4, 'usage survives the restart (3 before + 1 after)')
  const audit = await admin.call<{ items: unknown[] }>('GET', `/admin/audit?target=${key.id}`)
  assert.equal(audit.body.items.length, 1)
  await gw.gateway.deps.data.close().catch(() => undefined)
  for (const file of await readdir(dir)) {
    if (!file.startsWith('data.db')) continue
    const bytes = await readFile(join(dir, file))
    assert.equal(bytes.includes(key.key), false, `${file} holds no plaintext key`)
    assert.equal(bytes.includes(key.key.slice(13)), false, `${file} holds no secret part of the key`)
  }
  assert.doesNotMatch(logText + gw.log.text(), new RegExp(key.key))
  await gw.stop()
  // A running gateway for the after() hook to stop.
  gw = await startWithFile()
})

test('admin roles: a viewer token reads but cannot create consumers or keys; changes name the acting token', async () => {
  const viewerToken = 'pcla_viewer_token_for_tests_0123456789'
  const g = await startGateway(gatewayConfig(upstream.url), { adminTokens: [{ name: 'ops-admin', token: 'pcla_admin_token_for_tests_0123456789', roles: ['admin'] }, { name: 'auditor', token: viewerToken, roles: ['viewer'] }] })
  try {
    const viewer = adminClient(g.adminUrl, viewerToken)
    const boss = adminClient(g.adminUrl, 'pcla_admin_token_for_tests_0123456789')
    const consumer = await boss.createConsumer({ name: 'audited' })
    assert.equal((await viewer.call('GET', `/admin/consumers/${consumer.id}`)).status, 200, 'a viewer reads')
    const refused = await viewer.call<{ code: string }>('POST', `/admin/consumers/${consumer.id}/keys`, {})
    assert.equal(refused.status, 403)
    assert.equal(refused.body.code, 'ERR_ADMIN_FORBIDDEN')
    assert.equal((await viewer.call('POST', '/admin/consumers', { name: 'nope' })).status, 403)
    assert.equal((await viewer.call('GET', `/admin/consumers/${consumer.id}/keys`)).body && (await viewer.call<{ items: unknown[] }>('GET', `/admin/consumers/${consumer.id}/keys`)).body.items.length, 0, 'the refused create left nothing behind')
    const audit = await boss.call<{ items: { action: string; actor: string }[] }>('GET', `/admin/audit?target=${consumer.id}`)
    assert.deepEqual(audit.body.items.map((a) => [a.action, a.actor]), [['consumer.create', 'ops-admin']])
  } finally {
    await g.stop()
  }
})
