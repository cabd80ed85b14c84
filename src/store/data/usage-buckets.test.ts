import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bucketStart, rollUp, statusClassIndex, statusClassOf, statusIndexOf } from './usage-buckets.js'

const T0 = Date.UTC(2024, 0, 15, 10, 0)

test('buckets are UTC minute, hour and day starts', () => {
  const at = T0 + 37 * 60_000 + 12_345
  assert.equal(bucketStart(at, 'minute'), T0 + 37 * 60_000)
  assert.equal(bucketStart(at, 'hour'), T0)
  assert.equal(bucketStart(at, 'day'), Date.UTC(2024, 0, 15))
})

test('status classes', () => {
  assert.deepEqual([101, 200, 299, 304, 404, 503].map(statusClassOf), ['1xx', '2xx', '2xx', '3xx', '4xx', '5xx'])
  assert.equal(statusClassOf(0), '5xx')
  assert.equal(statusClassOf(999), '5xx')
})

test('rollUp merges rows per bucket identity, sorted, skipping empty counts', () => {
  const rows = rollUp([
    { keyId: 'b', route: 'r', statusClass: '2xx', minute: T0 + 60_000, count: 2 },
    { keyId: 'a', route: 'r', statusClass: '2xx', minute: T0, count: 1 },
    { keyId: 'b', route: 'r', statusClass: '2xx', minute: T0, count: 3 },
    { keyId: 'b', route: 'r', statusClass: '2xx', minute: T0, count: 0 },
  ], 'hour')
  assert.deepEqual(rows, [
    { keyId: 'a', consumerId: '', route: 'r', statusClass: '2xx', bucket: T0, count: 1 },
    { keyId: 'b', consumerId: '', route: 'r', statusClass: '2xx', bucket: T0, count: 5 },
  ])
})

test('status class, its index and back agree, out-of-range statuses included', () => {
  for (const [status, expected] of [[0, '5xx'], [99, '5xx'], [100, '1xx'], [204, '2xx'], [302, '3xx'], [404, '4xx'], [599, '5xx'], [600, '5xx']] as const) {
    assert.equal(statusClassOf(status), expected)
    assert.equal(statusClassIndex(statusClassOf(status)), statusIndexOf(status))
  }
})
