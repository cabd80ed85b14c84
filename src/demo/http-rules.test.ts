import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { XMLParser } from 'fast-xml-parser'
import { startTestApi, stationBody, type TestApi } from './test-support.js'

const XML = { 'content-type': 'application/xml', accept: 'application/xml' }

describe('demo API: representations, media types and errors', () => {
  let api: TestApi
  let stationId: string
  before(async () => {
    api = await startTestApi({ maxBodyBytes: 1024 * 1024 })
    stationId = (await api.send('POST', '/v1/stations', { body: stationBody({ tags: ['a', 'b'], metadata: { owner: 'x' } }) })).json().id
  })
  after(async () => {
    await api.close()
  })

  it('serves XML when Accept prefers it, JSON otherwise', async () => {
    const xml = await api.send('GET', `/v1/stations/${stationId}`, { headers: { accept: 'application/xml' } })
    assert.equal(xml.status, 200)
    assert.equal(xml.headers['content-type'], 'application/xml; charset=utf-8')
    const doc = new XMLParser({ parseTagValue: false }).parse(xml.text)
    assert.equal(doc.station.id, stationId)
    assert.equal(doc.station.latitude, '48.1')
    assert.deepEqual(doc.station.tags.tag, ['a', 'b'])
    assert.equal(doc.station.metadata.owner, 'x')
    const cases: [string, string][] = [
      ['application/json;q=0.5, application/xml', 'application/xml'],
      ['application/xml;q=0.5, application/json', 'application/json'],
      ['application/*', 'application/json'],
      ['*/*', 'application/json'],
      ['text/html, application/xml;q=0.1', 'application/xml'],
      ['application/*;q=0.2, application/xml;q=0.3', 'application/xml'],
    ]
    for (const [accept, expected] of cases) {
      const res = await api.send('GET', `/v1/stations/${stationId}`, { headers: { accept } })
      assert.equal(res.status, 200, accept)
      assert.equal(String(res.headers['content-type']).split(';')[0], expected, accept)
    }
    const list = await api.send('GET', '/v1/stations', { headers: { accept: 'application/xml' } })
    const parsed = new XMLParser().parse(list.text)
    assert.equal(parsed.stations.items.station.id, stationId)
  })

  it('accepts XML bodies (numbers, arrays, objects) and answers 201 in XML', async () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><station><name>Quai &amp; Port</name><latitude>43.29</latitude>' +
      '<longitude>5.37</longitude><elevationM>-2.5</elevationM><tags><tag>coastal</tag><tag>harbour</tag></tags>' +
      '<metadata><owner>city</owner></metadata></station>'
    const res = await api.send('POST', '/v1/stations', { headers: XML, body })
    assert.equal(res.status, 201, res.text)
    assert.equal(res.headers['content-type'], 'application/xml; charset=utf-8')
    const id = String(res.headers.location).split('/').pop()!
    const station = (await api.send('GET', `/v1/stations/${id}`)).json()
    assert.equal(station.name, 'Quai & Port')
    assert.equal(station.latitude, 43.29)
    assert.equal(station.elevationM, -2.5)
    assert.deepEqual(station.tags, ['coastal', 'harbour'])
    assert.deepEqual(station.metadata, { owner: 'city' })
    const single = await api.send('PUT', `/v1/stations/${id}`, {
      headers: XML,
      body: '<station><name>One</name><latitude>1</latitude><longitude>2</longitude><tags><tag>solo</tag></tags></station>',
    })
    assert.equal(single.status, 200, single.text)
    assert.deepEqual((await api.send('GET', `/v1/stations/${id}`)).json().tags, ['solo'])
  })

  it('XML bodies go through the same schema: 422 with pointers, problem as XML', async () => {
    const res = await api.send('POST', '/v1/stations', {
      headers: XML,
      body: '<station><name>x</name><latitude>north</latitude><longitude>2</longitude><color>red</color></station>',
    })
    assert.equal(res.status, 422)
    assert.equal(res.headers['content-type'], 'application/problem+xml')
    const problem = new XMLParser().parse(res.text).problem
    assert.equal(problem.code, 'ERR_SCHEMA_INVALID')
    const errors = JSON.parse(problem.errors) as { pointer: string }[]
    assert.deepEqual(errors.map((e) => e.pointer).sort(), ['/color', '/latitude'])
  })

  it('malformed XML, a DOCTYPE, several roots or the wrong root are 400', async () => {
    const bodies = [
      '<station><name>x</station>',
      '<?xml version="1.0"?><!DOCTYPE station [<!ENTITY x "boom">]><station><name>&x;</name></station>',
      '<station/><station/>',
      '<observation><temperatureC>1</temperatureC></observation>',
    ]
    for (const body of bodies) {
      const res = await api.send('POST', '/v1/stations', { headers: XML, body })
      assert.equal(res.status, 400, body)
      assert.equal(new XMLParser().parse(res.text).problem.code, 'ERR_REQUEST_MALFORMED')
    }
  })

  it('406 when neither JSON nor XML is acceptable (problem still rendered as JSON)', async () => {
    for (const accept of ['text/html', 'application/json;q=0, application/xml;q=0', 'image/*']) {
      const res = await api.send('GET', `/v1/stations/${stationId}`, { headers: { accept } })
      assert.equal(res.status, 406, accept)
      assert.equal(res.headers['content-type'], 'application/problem+json')
      assert.equal(res.json().code, 'ERR_NOT_ACCEPTABLE')
    }
  })

  it('415 for an unsupported or missing Content-Type or a non-UTF-8 charset', async () => {
    const cases: (Record<string, string> | undefined)[] = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'application/json; charset=iso-8859-1' },
      { 'content-type': 'application/merge-patch+json' },
      undefined,
    ]
    for (const headers of cases) {
      const res = await api.send('POST', '/v1/stations', { headers: headers ?? {}, body: Buffer.from(JSON.stringify(stationBody())) })
      assert.equal(res.status, 415, JSON.stringify(headers))
      assert.equal(res.json().code, 'ERR_UNSUPPORTED_MEDIA_TYPE')
    }
    const utf8 = await api.send('POST', '/v1/stations', { headers: { 'content-type': 'application/json; charset="UTF-8"' }, body: JSON.stringify(stationBody()) })
    assert.equal(utf8.status, 201)
  })

  it('400 for malformed JSON or invalid UTF-8; 422 for well-formed but invalid, listing every error', async () => {
    for (const body of ['{"name": "x",', '', 'nul', "{'name':'x'}"]) {
      const res = await api.send('POST', '/v1/stations', { headers: { 'content-type': 'application/json' }, body })
      assert.equal(res.status, 400, body)
      assert.equal(res.json().code, 'ERR_REQUEST_MALFORMED')
    }
    const invalidUtf8 = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","latitude":1,"longitude":1}')])
    const bad = await api.send('POST', '/v1/stations', { headers: { 'content-type': 'application/json' }, body: invalidUtf8 })
    assert.equal(bad.status, 400)
    assert.match(bad.json().detail, /UTF-8/)
    const res = await api.send('POST', '/v1/stations', {
      body: { name: '', latitude: 91, longitude: -181, elevationM: 'high', tags: ['a', 'a'], extra: true },
    })
    assert.equal(res.status, 422)
    const problem = res.json()
    assert.equal(problem.code, 'ERR_SCHEMA_INVALID')
    assert.equal(problem.status, 422)
    const pointers = problem.errors.map((e: { pointer: string }) => e.pointer).sort()
    assert.deepEqual(pointers, ['/elevationM', '/extra', '/latitude', '/longitude', '/name', '/tags'])
    for (const e of problem.errors) assert.equal(typeof e.message, 'string')
    const notObject = await api.send('POST', '/v1/stations', { body: '[1,2]', headers: { 'content-type': 'application/json' } })
    assert.equal(notObject.status, 422)
    const control = await api.send('POST', '/v1/stations', { body: stationBody({ name: 'bell\u0007' }) })
    assert.equal(control.status, 422)
  })

  it('413 for a body over 1 MiB, whether declared or not', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20)
    const res = await api.send('POST', '/v1/stations', { headers: { 'content-type': 'application/json' }, body: big })
    assert.equal(res.status, 413)
    assert.equal(res.json().code, 'ERR_BODY_TOO_LARGE')
    assert.equal(res.headers.connection, 'close')
    const chunked = await api.send('POST', '/v1/stations', { headers: { 'content-type': 'application/json' }, body: big, chunked: true })
    assert.equal(chunked.status, 413)
    // Exactly at the cap is allowed through to parsing (and is then merely malformed).
    const atCap = await api.send('POST', '/v1/stations', { headers: { 'content-type': 'application/json' }, body: Buffer.alloc(1024 * 1024, 0x20) })
    assert.equal(atCap.status, 400)
  })

  it('404 for unknown paths, 405 + Allow for known paths with a wrong method', async () => {
    for (const path of ['/', '/v1', '/v2/stations', '/v1/stations/', '/v1/stations/x/y/z', '/v1/stationsX']) {
      const res = await api.send('GET', path)
      assert.equal(res.status, 404, path)
      assert.equal(res.json().code, 'ERR_ROUTE_NOT_FOUND')
    }
    const cases: [string, string, string][] = [
      ['DELETE', '/v1/stations', 'GET, HEAD, POST, OPTIONS'],
      ['POST', `/v1/stations/${stationId}`, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
      ['PUT', '/v1/transfers', 'POST, OPTIONS'],
      ['DELETE', '/v1/weather', 'GET, HEAD, OPTIONS'],
    ]
    for (const [method, path, allow] of cases) {
      const res = await api.send(method, path)
      assert.equal(res.status, 405, `${method} ${path}`)
      assert.equal(res.headers.allow, allow)
      assert.equal(res.json().code, 'ERR_METHOD_NOT_ALLOWED')
    }
  })

  it('HEAD mirrors GET without a body; OPTIONS answers 204 + Allow', async () => {
    const get = await api.send('GET', `/v1/stations/${stationId}`)
    const head = await api.send('HEAD', `/v1/stations/${stationId}`)
    assert.equal(head.status, 200)
    assert.equal(head.text, '')
    assert.equal(head.headers.etag, get.headers.etag)
    assert.equal(head.headers['content-length'], get.headers['content-length'])
    assert.equal((await api.send('HEAD', '/v1/stations')).status, 200)
    assert.equal((await api.send('HEAD', '/v1/stations/stn_0000000000000000')).status, 404)
    const options = await api.send('OPTIONS', `/v1/stations/${stationId}`)
    assert.equal(options.status, 204)
    assert.equal(options.headers.allow, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS')
    assert.equal(options.headers['accept-patch'], 'application/merge-patch+json')
    assert.equal((await api.send('OPTIONS', '/v1/transfers')).headers.allow, 'POST, OPTIONS')
    assert.equal((await api.send('OPTIONS', '/nope')).status, 404)
  })

  it('never reflects request headers, and ignores absent identity headers', async () => {
    const marker = 'reflect-me-7f3a'
    const headers = { 'x-request-id': marker, 'x-portcullis-consumer': marker, 'x-portcullis-tenant': marker, 'x-custom': marker, origin: `https://${marker}` }
    const responses = [
      await api.send('GET', `/v1/stations/${stationId}`, { headers }),
      await api.send('GET', `/v1/stations/${marker}`, { headers }),
      await api.send('GET', `/${marker}`, { headers }),
      await api.send('POST', '/v1/stations', { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(stationBody()) }),
    ]
    for (const res of responses) {
      assert.ok(!res.text.includes(marker), res.text)
      assert.ok(!JSON.stringify(res.headers).includes(marker))
    }
  })

  it('an invalid percent-encoding in the path is 400', async () => {
    const res = await api.send('GET', '/v1/stations/%E0%A4%A')
    assert.equal(res.status, 400)
  })
})
