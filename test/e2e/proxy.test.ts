/**
 * The reverse proxy over real sockets: forwarding, headers, status codes and timeouts.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { rawRequest } from '../helpers/raw.js'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>

before(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 5_000).unref()
    if (req.url === '/hop') {
      res.writeHead(200, { connection: 'x-secret-hop', 'x-secret-hop': 'no', 'keep-alive': 'timeout=5', 'x-kept': 'yes' })
      return void res.end('ok')
    }
    echoHandler(req, res)
  })
  gw = await startGateway({
    ...simpleConfig(upstream.url, {
      routes: [
        { name: 'reads', match: { path: '/items/*', methods: ['GET'] }, upstream: 'app' },
        { name: 'writes', match: { path: '/items/:id', methods: ['PUT', 'DELETE'] }, upstream: 'app' },
        { name: 'all', match: { path: '/*' }, upstream: 'app' },
      ],
    }),
    upstreams: { app: { url: upstream.url, connectTimeout: '1s', responseTimeout: '300ms' } },
    trustedProxies: ['127.0.0.1/32'],
  })
})
after(async () => {
  await gw.stop()
  await upstream.close()
})

for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
  test(`${method} is forwarded with its body and query`, async () => {
    const hasBody = !['GET', 'OPTIONS', 'DELETE'].includes(method)
    const res = await request(`${gw.url}/echo/path?q=1&r=two`, { method, body: hasBody ? '{"a":1}' : undefined, headers: hasBody ? { 'content-type': 'application/json' } : {} })
    assert.equal(res.statusCode, 200)
    const echoed = (await res.body.json()) as { method: string; url: string; body: string; headers: Record<string, string> }
    assert.equal(echoed.method, method)
    assert.equal(echoed.url, '/echo/path?q=1&r=two')
    assert.equal(echoed.body, hasBody ? '{"a":1}' : '')
  })
}

test('HEAD is forwarded and returns no body', async () => {
  const res = await request(`${gw.url}/echo`, { method: 'HEAD' })
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), '')
})

test('X-Forwarded-* are set, identity and hop-by-hop headers are not forwarded', async () => {
  const res = await request(`${gw.url}/echo`, {
    headers: { 'x-forwarded-for': '203.0.113.9', 'x-portcullis-consumer': 'forged', 'x-consumer-id': 'forged', 'x-forwarded-user': 'root', te: 'trailers', 'x-custom': 'kept', host: 'api.example.test' },
  })
  const echoed = (await res.body.json()) as { headers: Record<string, string> }
  assert.equal(echoed.headers['x-forwarded-for'], '203.0.113.9, 203.0.113.9')
  assert.equal(echoed.headers['x-forwarded-proto'], 'http')
  assert.equal(echoed.headers['x-forwarded-host'], 'api.example.test')
  assert.equal(echoed.headers['x-custom'], 'kept')
  assert.equal(echoed.headers['x-portcullis-consumer'], undefined)
  assert.equal(echoed.headers['x-consumer-id'], undefined)
  assert.equal(echoed.headers['x-forwarded-user'], undefined)
  assert.equal(echoed.headers.te, undefined)
})

test('hop-by-hop response headers are removed', async () => {
  const res = await request(`${gw.url}/hop`)
  assert.equal(res.headers['x-kept'], 'yes')
  assert.equal(res.headers['x-secret-hop'], undefined)
  await res.body.text()
})

test('X-Request-Id is generated, or accepted when well-formed, and sent upstream', async () => {
  const generated = await request(`${gw.url}/echo`)
  const id = generated.headers['x-request-id'] as string
  assert.match(id, /^[0-9a-f-]{36}$/)
  const echoed = (await generated.body.json()) as { headers: Record<string, string> }
  assert.equal(echoed.headers['x-request-id'], id)
  const accepted = await request(`${gw.url}/echo`, { headers: { 'x-request-id': 'trace-abc-12345' } })
  assert.equal(accepted.headers['x-request-id'], 'trace-abc-12345')
  await accepted.body.text()
  const refused = await request(`${gw.url}/echo`, { headers: { 'x-request-id': 'bad id <script>' } })
  assert.notEqual(refused.headers['x-request-id'], 'bad id <script>')
  await refused.body.text()
})

test('405 with Allow when the path exists under other methods', async () => {
  const res = await request(`${gw.url}/items/7`, { method: 'POST', body: '{}' })
  // /items/7 is matched by "reads" (GET, HEAD) and "writes" (PUT, DELETE) but POST falls to "all".
  assert.equal(res.statusCode, 200)
  await res.body.text()
  const gw2 = await startGateway(simpleConfig(upstream.url, { routes: [{ name: 'only-get', match: { path: '/x/:id', methods: ['GET'] }, upstream: 'app' }] }))
  try {
    const refused = await request(`${gw2.url}/x/1`, { method: 'DELETE' })
    assert.equal(refused.statusCode, 405)
    assert.equal(refused.headers.allow, 'GET, HEAD')
    const problem = (await refused.body.json()) as { code: string; status: number }
    assert.equal(problem.code, 'ERR_METHOD_NOT_ALLOWED')
    const missing = await request(`${gw2.url}/nope`)
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.headers['content-type'], 'application/problem+json')
    assert.equal(((await missing.body.json()) as { code: string }).code, 'ERR_ROUTE_NOT_FOUND')
  } finally {
    await gw2.stop()
  }
})

test('problems are XML when the client prefers XML', async () => {
  const gw2 = await startGateway(simpleConfig(upstream.url, { routes: [{ name: 'r', match: { path: '/x' }, upstream: 'app' }] }))
  try {
    const res = await request(`${gw2.url}/nope`, { headers: { accept: 'application/xml' } })
    assert.equal(res.statusCode, 404)
    assert.equal(res.headers['content-type'], 'application/problem+xml')
    const text = await res.body.text()
    assert.match(text, /<problem xmlns="urn:ietf:rfc:7807">/)
    assert.match(text, /<code>ERR_ROUTE_NOT_FOUND<\/code>/)
  } finally {
    await gw2.stop()
  }
})

test('504 when the upstream does not answer in time', async () => {
  const res = await request(`${gw.url}/slow`)
  assert.equal(res.statusCode, 504)
  assert.equal(((await res.body.json()) as { code: string }).code, 'ERR_UPSTREAM_TIMEOUT')
})

test('502 when the upstream is unreachable', async () => {
  const dead = await startUpstream(echoHandler)
  const deadUrl = dead.url
  await dead.close()
  const gw2 = await startGateway(simpleConfig(deadUrl))
  try {
    const res = await request(`${gw2.url}/anything`)
    assert.equal(res.statusCode, 502)
    const problem = (await res.body.json()) as { code: string; detail: string }
    assert.equal(problem.code, 'ERR_UPSTREAM_UNREACHABLE')
    assert.doesNotMatch(JSON.stringify(problem), /127\.0\.0\.1|ECONNREFUSED/, 'no internal details leak')
  } finally {
    await gw2.stop()
  }
})

test('dot segments and encoded traversal in the path are refused with 400', async () => {
  for (const path of ['/items/%2e%2e/admin', '/items/../admin', '/a/%2E%2E%2Fb', '/a/%00', '/a/%zz', 'http://evil.test/x']) {
    const res = await rawRequest(gw.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    assert.equal(res.status, 400, path)
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'ERR_REQUEST_MALFORMED')
  }
})
