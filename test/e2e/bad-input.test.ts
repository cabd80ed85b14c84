/**
 * Hostile and broken requests: each gets a 4xx problem, and the gateway keeps serving afterwards.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { rawRequest } from '../helpers/raw.js'
import { startGateway, startUpstream, echoHandler, simpleConfig } from '../helpers/gateway.js'

let upstream: Awaited<ReturnType<typeof startUpstream>>
let gw: Awaited<ReturnType<typeof startGateway>>

before(async () => {
  upstream = await startUpstream(echoHandler)
  gw = await startGateway({
    ...simpleConfig(upstream.url, {
      routes: [
        { name: 'small', match: { path: '/small' }, upstream: 'app', policies: [{ name: 'request-size', config: { maxBodyBytes: 16, maxUrlBytes: 64, maxQueryParams: 3, maxHeaderCount: 30 } }] },
        { name: 'all', match: { path: '/*' }, upstream: 'app' },
      ],
    }),
    limits: { maxBodyBytes: '1kb', maxHeaderBytes: '4kb', headersTimeout: '500ms', bodyTimeout: '400ms' },
  })
})
after(async () => {
  await gw.stop()
  await upstream.close()
})

async function stillServing(): Promise<void> {
  const res = await request(`${gw.url}/ping`)
  assert.equal(res.statusCode, 200)
  await res.body.text()
}

function problemCode(body: string): string {
  return (JSON.parse(body) as { code: string }).code
}

const cases: [string, string, number, string][] = [
  ['Content-Length and Transfer-Encoding together (smuggling)', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['negative Content-Length', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['garbage Content-Length', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12abc\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['two different Content-Length values', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde', 400, 'ERR_REQUEST_MALFORMED'],
  ['CR injected in a header value', 'GET /x HTTP/1.1\r\nHost: a\r\nX-Evil: a\rInjected: b\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['bare LF header injection', 'GET /x HTTP/1.1\r\nHost: a\r\nX-Evil: a\nInjected: b\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['obsolete line folding', 'GET /x HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['invalid header name', 'GET /x HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['missing Host', 'GET /x HTTP/1.1\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
  ['oversized header section', `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(8_000)}\r\n\r\n`, 431, 'ERR_HEADERS_TOO_LARGE'],
  ['not HTTP at all', 'HELLO THERE\r\n\r\n', 400, 'ERR_REQUEST_MALFORMED'],
]

for (const [name, payload, status, code] of cases) {
  test(`${name} → ${status} problem`, async () => {
    const res = await rawRequest(gw.url, payload)
    assert.equal(res.status, status, res.raw.slice(0, 200))
    assert.equal(res.headers['content-type'], 'application/problem+json')
    assert.equal(problemCode(res.body), code)
    await stillServing()
  })
}

test('413 when the declared body is over the global cap', async () => {
  const res = await request(`${gw.url}/x`, { method: 'POST', body: 'a'.repeat(2_000) })
  assert.equal(res.statusCode, 413)
  assert.equal(problemCode(await res.body.text()), 'ERR_BODY_TOO_LARGE')
  await stillServing()
})

test('413 when a chunked body (no Content-Length) grows over the cap while streaming', async () => {
  const chunk = 'a'.repeat(600)
  const payload = `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${(600).toString(16)}\r\n${chunk}\r\n${(600).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`
  const res = await rawRequest(gw.url, payload)
  assert.equal(res.status, 413)
  assert.equal(problemCode(res.body), 'ERR_BODY_TOO_LARGE')
  await stillServing()
})

test('request-size: per-route body, URL, query and header caps', async () => {
  const body = await request(`${gw.url}/small`, { method: 'POST', body: 'x'.repeat(17) })
  assert.equal(body.statusCode, 413)
  await body.body.text()
  const ok = await request(`${gw.url}/small`, { method: 'POST', body: 'x'.repeat(16) })
  assert.equal(ok.statusCode, 200)
  await ok.body.text()
  const url = await request(`${gw.url}/small?${'q'.repeat(80)}`)
  assert.equal(url.statusCode, 414)
  await url.body.text()
  const query = await request(`${gw.url}/small?a=1&b=2&c=3&d=4`)
  assert.equal(query.statusCode, 414)
  await query.body.text()
  const headers: Record<string, string> = {}
  for (let i = 0; i < 40; i++) headers[`x-h${i}`] = '1'
  const many = await request(`${gw.url}/small`, { headers })
  assert.equal(many.statusCode, 431)
  await many.body.text()
})

test('408 when the body arrives too slowly, then the gateway still serves', async () => {
  const res = await rawRequest(gw.url, 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-a-little', 3_000)
  assert.equal(res.status, 408)
  assert.equal(problemCode(res.body), 'ERR_REQUEST_TIMEOUT')
  await stillServing()
})

test('408 when the header section never completes', async () => {
  const res = await rawRequest(gw.url, 'GET /x HTTP/1.1\r\nHost: a\r\nX-Slow: ', 3_000)
  assert.equal(res.status, 408)
  assert.equal(problemCode(res.body), 'ERR_REQUEST_TIMEOUT')
  await stillServing()
})
