import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestApi, type TestApi } from './test-support.js'

const transfer = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  fromAccount: 'ACC-1001',
  toAccount: 'ACC-2002',
  amount: 125.5,
  currency: 'EUR',
  ...overrides,
})

describe('demo API: transfers', () => {
  let api: TestApi
  before(async () => {
    api = await startTestApi()
  })
  after(async () => {
    await api.close()
  })

  it('creates a transfer: 201 + Location, readable with GET', async () => {
    const res = await api.send('POST', '/v1/transfers', { body: transfer({ reference: 'Invoice 42' }) })
    assert.equal(res.status, 201, res.text)
    const created = res.json()
    assert.match(created.id, /^trf_[0-9a-f]{16}$/)
    assert.equal(res.headers.location, `/v1/transfers/${created.id}`)
    assert.equal(created.amount, 125.5)
    assert.equal(created.currency, 'EUR')
    assert.equal(created.reference, 'Invoice 42')
    assert.equal(created.status, 'completed')
    const read = await api.send('GET', `/v1/transfers/${created.id}`)
    assert.equal(read.status, 200)
    assert.deepEqual(read.json(), created)
    assert.equal((await api.send('GET', '/v1/transfers/trf_0000000000000000')).status, 404)
  })

  it('amount must be positive with at most two decimals; currency must be ISO 4217', async () => {
    for (const amount of [10.15, 0.01, 999999.99, 7]) {
      const res = await api.send('POST', '/v1/transfers', { body: transfer({ amount }) })
      assert.equal(res.status, 201, `${amount}: ${res.text}`)
      assert.equal(res.json().amount, amount)
    }
    for (const amount of [0, -5, 10.151, 0.001, '10.00']) {
      const res = await api.send('POST', '/v1/transfers', { body: transfer({ amount }) })
      assert.equal(res.status, 422, String(amount))
      assert.deepEqual(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/amount'])
    }
    for (const currency of ['eur', 'EURO', 'XXQ', '']) {
      const res = await api.send('POST', '/v1/transfers', { body: transfer({ currency }) })
      assert.equal(res.status, 422, currency)
      assert.deepEqual(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/currency'])
    }
    const same = await api.send('POST', '/v1/transfers', { body: transfer({ toAccount: 'ACC-1001' }) })
    assert.equal(same.status, 422)
    assert.deepEqual(same.json().errors, [{ pointer: '/toAccount', message: 'must differ from fromAccount' }])
    const missing = await api.send('POST', '/v1/transfers', { body: { amount: 1, note: 'x' } })
    assert.deepEqual(missing.json().errors.map((e: { pointer: string }) => e.pointer).sort(), ['/currency', '/fromAccount', '/note', '/toAccount'])
  })

  it('Idempotency-Key: the same request replays the first answer, a different one is 409', async () => {
    const headers = { 'idempotency-key': 'order-7781' }
    const first = await api.send('POST', '/v1/transfers', { headers, body: transfer({ amount: 50 }) })
    assert.equal(first.status, 201)
    // Members reordered and the amount written differently: still the same request.
    const retry = await api.send('POST', '/v1/transfers', {
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"currency":"EUR","amount":50.00,"toAccount":"ACC-2002","fromAccount":"ACC-1001"}',
    })
    assert.equal(retry.status, 201)
    assert.deepEqual(retry.json(), first.json())
    assert.equal(retry.headers.location, first.headers.location)
    assert.equal(retry.headers['idempotent-replayed'], 'true')
    const conflict = await api.send('POST', '/v1/transfers', { headers, body: transfer({ amount: 51 }) })
    assert.equal(conflict.status, 409)
    assert.equal(conflict.json().code, 'ERR_CONFLICT')
    // Keys are scoped per consumer (as forwarded by the gateway).
    const other = await api.send('POST', '/v1/transfers', { headers: { ...headers, 'x-portcullis-consumer': 'c2' }, body: transfer({ amount: 51 }) })
    assert.equal(other.status, 201)
    assert.notEqual(other.json().id, first.json().id)
    const noKey = await api.send('POST', '/v1/transfers', { body: transfer({ amount: 50 }) })
    assert.notEqual(noKey.json().id, first.json().id, 'without a key every POST is a new transfer')
    const badKey = await api.send('POST', '/v1/transfers', { headers: { 'idempotency-key': 'has space' }, body: transfer() })
    assert.equal(badKey.status, 400)
  })

  it('accepts and answers XML', async () => {
    const res = await api.send('POST', '/v1/transfers', {
      headers: { 'content-type': 'application/xml', accept: 'application/xml' },
      body: '<transfer><fromAccount>A1</fromAccount><toAccount>B2</toAccount><amount>99.90</amount><currency>CHF</currency></transfer>',
    })
    assert.equal(res.status, 201, res.text)
    assert.match(res.text, /^<\?xml[^>]*\?><transfer><id>trf_[0-9a-f]+<\/id>.*<amount>99\.9<\/amount><currency>CHF<\/currency>/)
  })
})
