import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApi, stationBody, type TestApi } from './test-support.js'

describe('demo API: stations', () => {
  let api: TestApi
  before(async () => {
    api = await startTestApi()
  })
  after(async () => {
    await api.close()
  })

  async function create(overrides: Record<string, unknown> = {}): Promise<{ id: string; etag: string; body: any }> {
    const res = await api.send('POST', '/v1/stations', { body: stationBody(overrides) })
    assert.equal(res.status, 201, res.text)
    return { id: res.json().id, etag: String(res.headers.etag), body: res.json() }
  }

  it('creates a station: 201, Location, ETag, server-assigned members, default tenant', async () => {
    const res = await api.send('POST', '/v1/stations', { body: stationBody({ elevationM: 519, tags: ['urban'] }) })
    assert.equal(res.status, 201)
    const station = res.json()
    assert.match(station.id, /^stn_[0-9a-f]{16}$/)
    assert.equal(res.headers.location, `/v1/stations/${station.id}`)
    assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]+"$/)
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(station.tenant, 'public')
    assert.deepEqual(station.tags, ['urban'])
    assert.equal(station.elevationM, 519)
    assert.equal(station.createdAt, station.updatedAt)
    assert.ok(!Number.isNaN(Date.parse(station.createdAt)))
    const read = await api.send('GET', res.headers.location as string)
    assert.equal(read.status, 200)
    assert.deepEqual(read.json(), station)
    assert.equal(read.headers.etag, res.headers.etag)
  })

  it('rejects client-chosen read-only members (closed schema)', async () => {
    const res = await api.send('POST', '/v1/stations', { body: stationBody({ id: 'stn_mine', createdAt: '2020-01-01T00:00:00Z' }) })
    assert.equal(res.status, 422)
    const pointers = res.json().errors.map((e: { pointer: string }) => e.pointer).sort()
    assert.deepEqual(pointers, ['/createdAt', '/id'])
  })

  it('PUT replaces the whole station and is idempotent', async () => {
    const { id } = await create({ tags: ['a'], elevationM: 10 })
    const replacement = stationBody({ name: 'Replaced', latitude: -10, longitude: 20 })
    const first = await api.send('PUT', `/v1/stations/${id}`, { body: replacement })
    assert.equal(first.status, 200)
    const station = first.json()
    assert.equal(station.name, 'Replaced')
    assert.equal(station.tags, undefined, 'members absent from the PUT body are removed')
    assert.equal(station.elevationM, undefined)
    const second = await api.send('PUT', `/v1/stations/${id}`, { body: replacement })
    assert.equal(second.status, 200)
    assert.deepEqual(second.json(), station, 'same body twice, same result')
    assert.equal(second.headers.etag, first.headers.etag)
    assert.deepEqual((await api.send('GET', `/v1/stations/${id}`)).json(), station)
  })

  it('PUT to an unknown id is 404 (no upsert) and PUT validates the body', async () => {
    const unknown = await api.send('PUT', '/v1/stations/stn_0000000000000000', { body: stationBody() })
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json().code, 'ERR_NOT_FOUND')
    const { id } = await create()
    const invalid = await api.send('PUT', `/v1/stations/${id}`, { body: { name: 'no coordinates' } })
    assert.equal(invalid.status, 422)
    assert.deepEqual(invalid.json().errors.map((e: { pointer: string }) => e.pointer).sort(), ['/latitude', '/longitude'])
  })

  it('DELETE is 204, then 404, and the station is gone', async () => {
    const { id } = await create()
    const first = await api.send('DELETE', `/v1/stations/${id}`)
    assert.equal(first.status, 204)
    assert.equal(first.text, '')
    const second = await api.send('DELETE', `/v1/stations/${id}`)
    assert.equal(second.status, 404)
    assert.equal(second.json().code, 'ERR_NOT_FOUND')
    assert.equal((await api.send('GET', `/v1/stations/${id}`)).status, 404)
  })

  it('PATCH applies a JSON merge patch: null removes, nested objects merge, others replace', async () => {
    const { id } = await create({ tags: ['x', 'y'], elevationM: 100, metadata: { owner: 'dwd', model: 'A1' } })
    const res = await api.send('PATCH', `/v1/stations/${id}`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ name: 'Patched', tags: null, metadata: { model: null, firmware: '2.1' } }),
    })
    assert.equal(res.status, 200, res.text)
    const station = res.json()
    assert.equal(station.name, 'Patched')
    assert.equal('tags' in station, false)
    assert.equal(station.elevationM, 100, 'untouched members stay')
    assert.deepEqual(station.metadata, { firmware: '2.1', owner: 'dwd' })
    assert.notEqual(station.updatedAt, undefined)
    assert.deepEqual((await api.send('GET', `/v1/stations/${id}`)).json(), station)
  })

  it('PATCH requires application/merge-patch+json and keeps the result schema-valid', async () => {
    const { id } = await create()
    const asJson = await api.send('PATCH', `/v1/stations/${id}`, { body: { name: 'x' } })
    assert.equal(asJson.status, 415)
    assert.equal(asJson.headers['accept-patch'], 'application/merge-patch+json')
    const removeRequired = await api.send('PATCH', `/v1/stations/${id}`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ name: null, latitude: 91 }),
    })
    assert.equal(removeRequired.status, 422)
    assert.deepEqual(removeRequired.json().errors.map((e: { pointer: string }) => e.pointer).sort(), ['/latitude', '/name'])
    const unknown = await api.send('PATCH', '/v1/stations/stn_0000000000000000', {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{"name":"x"}',
    })
    assert.equal(unknown.status, 404)
  })

  it('If-Match: 412 on a stale tag, success on the current tag or *, for PUT, PATCH and DELETE', async () => {
    const { id, etag } = await create()
    const path = `/v1/stations/${id}`
    const stale = await api.send('PUT', path, { headers: { 'if-match': '"stale"' }, body: stationBody({ name: 'A' }) })
    assert.equal(stale.status, 412)
    assert.equal(stale.json().code, 'ERR_PRECONDITION_FAILED')
    const weak = await api.send('PUT', path, { headers: { 'if-match': `W/${etag}` }, body: stationBody({ name: 'A' }) })
    assert.equal(weak.status, 412, 'weak tags never match If-Match (strong comparison)')
    const ok = await api.send('PUT', path, { headers: { 'if-match': `"other", ${etag}` }, body: stationBody({ name: 'A' }) })
    assert.equal(ok.status, 200)
    const newTag = String(ok.headers.etag)
    assert.notEqual(newTag, etag)
    const patchStale = await api.send('PATCH', path, {
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': etag },
      body: '{"name":"B"}',
    })
    assert.equal(patchStale.status, 412)
    assert.equal((await api.send('GET', path)).json().name, 'A', 'a failed precondition changes nothing')
    const patchStar = await api.send('PATCH', path, {
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '*' },
      body: '{"name":"B"}',
    })
    assert.equal(patchStar.status, 200)
    assert.equal((await api.send('DELETE', path, { headers: { 'if-match': newTag } })).status, 412)
    const xmlTag = (await api.send('GET', path, { headers: { accept: 'application/xml' } })).headers.etag as string
    assert.equal((await api.send('DELETE', path, { headers: { 'if-match': xmlTag } })).status, 204, 'the XML tag matches too')
  })

  it('If-None-Match on GET answers 304 without a body; each representation has its own tag', async () => {
    const { id } = await create()
    const path = `/v1/stations/${id}`
    const json = await api.send('GET', path)
    const etag = String(json.headers.etag)
    const notModified = await api.send('GET', path, { headers: { 'if-none-match': etag } })
    assert.equal(notModified.status, 304)
    assert.equal(notModified.text, '')
    assert.equal(notModified.headers.etag, etag)
    assert.equal((await api.send('GET', path, { headers: { 'if-none-match': `W/${etag}` } })).status, 304, 'weak comparison')
    assert.equal((await api.send('GET', path, { headers: { 'if-none-match': '"nope"' } })).status, 200)
    const xml = await api.send('GET', path, { headers: { accept: 'application/xml', 'if-none-match': etag } })
    assert.equal(xml.status, 200, 'the JSON tag does not validate the XML representation')
    assert.notEqual(xml.headers.etag, etag)
    assert.equal(json.headers.vary, 'Accept')
    await api.send('PUT', path, { body: stationBody({ name: 'changed' }) })
    assert.equal((await api.send('GET', path, { headers: { 'if-none-match': etag } })).status, 200, 'a change invalidates the tag')
  })

  it('GET /v1/tenants/{tenant}/stations lists one tenant only', async () => {
    const a = await create({ tenant: 'tenant-a', name: 'A1' })
    await create({ tenant: 'tenant-b', name: 'B1' })
    const a2 = await create({ tenant: 'tenant-a', name: 'A2' })
    const res = await api.send('GET', '/v1/tenants/tenant-a/stations')
    assert.equal(res.status, 200)
    assert.deepEqual(res.json().items.map((s: { id: string }) => s.id), [a.id, a2.id])
    assert.equal(res.json().nextCursor, null)
    const empty = await api.send('GET', '/v1/tenants/nobody/stations')
    assert.deepEqual(empty.json(), { items: [], nextCursor: null })
  })
})

describe('demo API: pagination', () => {
  let api: TestApi
  before(async () => {
    api = await startTestApi()
  })
  after(async () => {
    await api.close()
  })

  it('walks every page with nextCursor and Link rel="next", each station exactly once', async () => {
    const created: string[] = []
    for (let i = 0; i < 23; i++) {
      const res = await api.send('POST', '/v1/stations', { body: stationBody({ name: `S${i}` }) })
      created.push(res.json().id)
    }
    const seen: string[] = []
    let path: string | null = '/v1/stations?limit=5'
    let pages = 0
    while (path) {
      const res = await api.send('GET', path)
      assert.equal(res.status, 200)
      const body = res.json()
      assert.ok(body.items.length <= 5)
      seen.push(...body.items.map((s: { id: string }) => s.id))
      pages++
      if (body.nextCursor === null) {
        assert.equal(res.headers.link, undefined)
        path = null
      } else {
        const link = String(res.headers.link)
        const match = /^<([^>]+)>; rel="next"$/.exec(link)
        assert.ok(match, link)
        assert.ok(match[1]!.includes(`cursor=${body.nextCursor}`))
        path = match[1]!
      }
    }
    assert.equal(pages, 5)
    assert.deepEqual(seen, created)
  })

  it('defaults to 20 per page and refuses bad limits and cursors with 400', async () => {
    const first = await api.send('GET', '/v1/stations')
    assert.equal(first.json().items.length, 20)
    for (const bad of ['0', '101', '-1', 'ten', '1.5']) {
      const res = await api.send('GET', `/v1/stations?limit=${bad}`)
      assert.equal(res.status, 400, bad)
      assert.equal(res.json().code, 'ERR_REQUEST_MALFORMED')
    }
    assert.equal((await api.send('GET', '/v1/stations?limit=100')).status, 200)
    for (const bad of ['garbage', Buffer.from('{"v":1,"after":-4}').toString('base64url'), Buffer.from('[]').toString('base64url')]) {
      assert.equal((await api.send('GET', `/v1/stations?cursor=${bad}`)).status, 400, bad)
    }
  })

  it('a deleted row does not break the walk (keyset cursor)', async () => {
    const page1 = (await api.send('GET', '/v1/stations?limit=2')).json()
    await api.send('DELETE', `/v1/stations/${page1.items[1].id}`)
    const page2 = (await api.send('GET', `/v1/stations?limit=2&cursor=${page1.nextCursor}`)).json()
    assert.equal(page2.items.length, 2)
    assert.ok(!page2.items.some((s: { id: string }) => page1.items.some((p: { id: string }) => p.id === s.id)))
  })
})
