import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApi, stationBody, type TestApi } from './test-support.js'

describe('demo API: observations and current weather', () => {
  let api: TestApi
  before(async () => {
    api = await startTestApi()
  })
  after(async () => {
    await api.close()
  })

  async function newStation(): Promise<string> {
    return (await api.send('POST', '/v1/stations', { body: stationBody() })).json().id
  }

  it('records observations (201 + Location), lists and reads them', async () => {
    const id = await newStation()
    const res = await api.send('POST', `/v1/stations/${id}/observations`, {
      body: { temperatureC: 18.5, humidityPct: 40, windKph: 12, observedAt: '2025-06-01T12:00:00+02:00' },
    })
    assert.equal(res.status, 201, res.text)
    const observation = res.json()
    assert.equal(observation.stationId, id)
    assert.equal(observation.observedAt, '2025-06-01T10:00:00.000Z', 'normalised to UTC')
    assert.equal(res.headers.location, `/v1/stations/${id}/observations/${observation.id}`)
    assert.deepEqual((await api.send('GET', res.headers.location as string)).json(), observation)
    const defaulted = (await api.send('POST', `/v1/stations/${id}/observations`, { body: { temperatureC: 3 } })).json()
    assert.ok(Math.abs(Date.parse(defaulted.observedAt) - Date.now()) < 60_000, 'observedAt defaults to now')
    const list = (await api.send('GET', `/v1/stations/${id}/observations?limit=1`)).json()
    assert.deepEqual(list.items, [observation])
    const rest = (await api.send('GET', `/v1/stations/${id}/observations?limit=1&cursor=${list.nextCursor}`)).json()
    assert.deepEqual(rest.items, [defaulted])
    assert.equal(rest.nextCursor, null)
  })

  it('validates observations: ranges, date-time format, unknown members (all errors at once)', async () => {
    const id = await newStation()
    const res = await api.send('POST', `/v1/stations/${id}/observations`, {
      body: { temperatureC: 'warm', humidityPct: 101, windKph: -1, observedAt: 'yesterday', pressure: 1013 },
    })
    assert.equal(res.status, 422)
    const pointers = res.json().errors.map((e: { pointer: string }) => e.pointer).sort()
    assert.deepEqual(pointers, ['/humidityPct', '/observedAt', '/pressure', '/temperatureC', '/windKph'])
    const missing = await api.send('POST', `/v1/stations/${id}/observations`, { body: { humidityPct: 50 } })
    assert.deepEqual(missing.json().errors, [{ pointer: '/temperatureC', message: 'is required' }])
  })

  it('accepts an XML observation', async () => {
    const id = await newStation()
    const res = await api.send('POST', `/v1/stations/${id}/observations`, {
      headers: { 'content-type': 'application/xml' },
      body: '<observation><temperatureC>-4.25</temperatureC><windKph>0</windKph></observation>',
    })
    assert.equal(res.status, 201, res.text)
    assert.equal(res.json().temperatureC, -4.25)
    assert.equal(res.json().windKph, 0)
  })

  it('GET /v1/weather returns the latest observation by observedAt, or 404', async () => {
    const id = await newStation()
    const noData = await api.send('GET', `/v1/weather?station=${id}`)
    assert.equal(noData.status, 404)
    assert.equal(noData.json().code, 'ERR_NOT_FOUND')
    await api.send('POST', `/v1/stations/${id}/observations`, { body: { temperatureC: 20, observedAt: '2025-01-02T00:00:00Z' } })
    // Posted later but observed earlier: must not become "current".
    await api.send('POST', `/v1/stations/${id}/observations`, { body: { temperatureC: 5, observedAt: '2025-01-01T00:00:00Z' } })
    const res = await api.send('GET', `/v1/weather?station=${id}`)
    assert.equal(res.status, 200)
    const weather = res.json()
    assert.equal(weather.stationId, id)
    assert.equal(weather.stationName, 'Test Station')
    assert.equal(weather.temperatureC, 20)
    assert.equal(weather.observedAt, '2025-01-02T00:00:00.000Z')
    assert.equal((await api.send('GET', '/v1/weather?station=stn_0000000000000000')).status, 404)
    assert.equal((await api.send('GET', '/v1/weather')).status, 400)
    const xml = await api.send('GET', `/v1/weather?station=${id}`, { headers: { accept: 'application/xml' } })
    assert.match(xml.text, /<weather>.*<temperatureC>20<\/temperatureC>/)
  })

  it('unknown station: 404 for list, create and read; deleting a station deletes its observations', async () => {
    assert.equal((await api.send('GET', '/v1/stations/stn_0000000000000000/observations')).status, 404)
    assert.equal((await api.send('POST', '/v1/stations/stn_0000000000000000/observations', { body: { temperatureC: 1 } })).status, 404)
    const id = await newStation()
    const obs = (await api.send('POST', `/v1/stations/${id}/observations`, { body: { temperatureC: 1 } })).json()
    assert.equal((await api.send('DELETE', `/v1/stations/${id}`)).status, 204)
    assert.equal((await api.send('GET', `/v1/stations/${id}/observations/${obs.id}`)).status, 404)
    assert.equal((await api.send('GET', `/v1/weather?station=${id}`)).status, 404)
  })
})

describe('demo API: seed data and persistence', () => {
  it('seeds stations with current weather once; a file database keeps its data across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-demo-'))
    const dbPath = join(dir, 'demo.sqlite')
    try {
      const first = await startTestApi({ seed: true, dbPath })
      const stations = (await first.send('GET', '/v1/stations')).json().items as { id: string }[]
      assert.ok(stations.length >= 3)
      for (const s of stations) assert.equal((await first.send('GET', `/v1/weather?station=${s.id}`)).status, 200)
      const added = (await first.send('POST', '/v1/stations', { body: stationBody({ name: 'Persisted' }) })).json()
      await first.close()
      const second = await startTestApi({ seed: true, dbPath })
      try {
        const again = (await second.send('GET', '/v1/stations')).json().items as { id: string }[]
        assert.deepEqual(again.map((s) => s.id), [...stations.map((s) => s.id), added.id], 'no second seeding')
      } finally {
        await second.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
