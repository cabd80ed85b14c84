/**
 * The pipeline end to end: ip-filter (IPv4, IPv6, via trusted proxies), enforce vs monitor,
 * per-method policies, security events and decision metrics.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startGateway, startUpstream, echoHandler, simpleConfig, TEST_ADMIN_TOKEN } from '../helpers/gateway.js'
import type { SecurityEvent } from '../../src/core/events.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>
const events: SecurityEvent[] = []

before(async () => {
  upstream = await startUpstream(echoHandler)
  gw = await startGateway({
    ...simpleConfig(upstream.url, {
      routes: [
        { name: 'allowlisted', match: { path: '/allow/*' }, upstream: 'app', policies: [{ name: 'ip-filter', config: { allow: ['198.51.100.0/24', '2001:db8:1::/48'] } }] },
        { name: 'denylisted', match: { path: '/deny/*' }, upstream: 'app', policies: [{ name: 'ip-filter', config: { deny: ['203.0.113.0/24', '2001:db8:bad::/48'] } }] },
        { name: 'monitored', match: { path: '/monitor/*' }, upstream: 'app', policies: [{ name: 'ip-filter', mode: 'monitor', config: { deny: ['203.0.113.0/24'] } }] },
        { name: 'writes-only', match: { path: '/writes/*' }, upstream: 'app', policies: [{ name: 'ip-filter', methods: ['POST'], config: { deny: ['0.0.0.0/0', '::/0'] } }] },
      ],
    }),
    trustedProxies: ['127.0.0.1/32', '::1/128'],
  })
  gw.gateway.events.subscribe((e) => events.push(e))
})
after(async () => {
  await gw.stop()
  await upstream.close()
})

async function statusFrom(path: string, clientIp: string, method = 'GET'): Promise<number> {
  const res = await request(`${gw.url}${path}`, { method, headers: { 'x-forwarded-for': clientIp } })
  await res.body.text()
  return res.statusCode
}

test('allow list: IPv4 and IPv6 inside pass, outside get 403', async () => {
  assert.equal(await statusFrom('/allow/x', '198.51.100.7'), 200)
  assert.equal(await statusFrom('/allow/x', '2001:db8:1::42'), 200)
  assert.equal(await statusFrom('/allow/x', '192.0.2.1'), 403)
  assert.equal(await statusFrom('/allow/x', '2001:db8:2::1'), 403)
})

test('deny list: IPv4 and IPv6 inside get 403 (also IPv4-mapped IPv6), others pass', async () => {
  assert.equal(await statusFrom('/deny/x', '203.0.113.5'), 403)
  assert.equal(await statusFrom('/deny/x', '::ffff:203.0.113.5'), 403)
  assert.equal(await statusFrom('/deny/x', '2001:db8:bad::1'), 403)
  assert.equal(await statusFrom('/deny/x', '198.51.100.7'), 200)
})

test('a client cannot choose its IP: only the hop the trusted proxy saw counts', async () => {
  // The leftmost entry is client-controlled; the rightmost untrusted hop is the real client.
  assert.equal(await statusFrom('/allow/x', '198.51.100.7, 192.0.2.1'), 403)
  assert.equal(await statusFrom('/deny/x', '203.0.113.5, 198.51.100.7'), 200)
})

test('the 403 is a problem with a stable code and the request id as instance', async () => {
  const res = await request(`${gw.url}/deny/x`, { headers: { 'x-forwarded-for': '203.0.113.5' } })
  const problem = (await res.body.json()) as Record<string, unknown>
  assert.equal(problem.code, 'ERR_IP_DENIED')
  assert.equal(problem.status, 403)
  assert.equal(problem.instance, res.headers['x-request-id'])
  assert.equal(problem.type, 'https://portcullis.dev/problems/err-ip-denied')
})

test('monitor mode lets the request pass but records the would-be rejection', async () => {
  events.length = 0
  assert.equal(await statusFrom('/monitor/x', '203.0.113.5'), 200)
  const event = events.find((e) => e.policy === 'ip-filter')
  assert.ok(event, 'a security event was published')
  assert.equal(event.action, 'monitor')
  assert.equal(event.code, 'ERR_IP_DENIED')
  assert.equal(event.clientIp, '203.0.113.5')
  const metrics = await (await request(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text()
  assert.match(metrics, /portcullis_policy_decisions_total\{policy="ip-filter",decision="monitor",code="ERR_IP_DENIED"\} 1/)
})

test('a policy limited to some methods does not run for others', async () => {
  assert.equal(await statusFrom('/writes/x', '198.51.100.7', 'GET'), 200)
  assert.equal(await statusFrom('/writes/x', '198.51.100.7', 'POST'), 403)
})

test('admin listener: health is public, metrics need the admin token', async () => {
  const health = await request(`${gw.adminUrl}/healthz`)
  assert.equal(health.statusCode, 200)
  await health.body.text()
  const ready = await request(`${gw.adminUrl}/readyz`)
  assert.equal(ready.statusCode, 200)
  await ready.body.text()
  const anonymous = await request(`${gw.adminUrl}/metrics`)
  assert.equal(anonymous.statusCode, 401)
  assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/)
  await anonymous.body.text()
  const wrong = await request(`${gw.adminUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })
  assert.equal(wrong.statusCode, 401)
  await wrong.body.text()
  const metrics = await request(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  assert.equal(metrics.statusCode, 200)
  assert.match(await metrics.body.text(), /portcullis_requests_total\{route="allowlisted",method="GET",status="200"\}/)
})

test('the access log has one line per request and no credentials', async () => {
  const res = await request(`${gw.url}/deny/secret-check`, { headers: { 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'https', authorization: 'Bearer super-secret-token-value', 'x-api-key': 'pcl_live_secretsecret' } })
  await res.body.text()
  const id = res.headers['x-request-id']
  await new Promise((resolve) => setImmediate(resolve))
  const line = gw.log.lines.find((l) => l.requestId === id && l.msg === 'request')
  assert.ok(line, 'an access-log line exists')
  assert.equal(line.status, 200)
  assert.equal(line.route, 'denylisted')
  assert.equal(line.clientIp, '198.51.100.9')
  assert.doesNotMatch(gw.log.text(), /super-secret-token-value|pcl_live_secretsecret/)
})
