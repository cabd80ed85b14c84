import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openSqliteDataStore } from './sqlite.js'
import type { UsageRow } from './types.js'
import { createUsageWriter } from './usage-writer.js'

const T0 = Date.UTC(2024, 0, 15, 10, 0)

/** A sink that records batches and lets a test await the next call or hold it open. */
function createSink() {
  const batches: UsageRow[][] = []
  const waiters: Array<() => void> = []
  let failNext = 0
  let gate: Promise<void> | null = null
  return {
    batches,
    failTimes(n: number) {
      failNext = n
    },
    hold() {
      let release!: () => void
      gate = new Promise((resolve) => (release = resolve))
      return () => {
        gate = null
        release()
      }
    },
    nextCall: () => new Promise<void>((resolve) => waiters.push(resolve)),
    total: () => batches.flat().reduce((sum, r) => sum + r.count, 0),
    async recordUsage(batch: readonly UsageRow[]) {
      const copy = batch.map((r) => ({ ...r }))
      for (const w of waiters.splice(0)) w()
      if (gate) await gate
      if (failNext > 0) {
        failNext--
        throw new Error('store down')
      }
      batches.push(copy)
    },
  }
}

test('sums hits per key × consumer × route × status class × minute', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000 })
  for (let i = 0; i < 5; i++) writer.record({ keyId: 'k1', consumerId: 'c1', route: 'GET /a', status: 200 + i, at: T0 + i * 1000 })
  writer.record({ keyId: 'k1', consumerId: 'c1', route: 'GET /a', status: 404, at: T0 })
  writer.record({ keyId: 'k1', consumerId: 'c1', route: 'GET /a', status: 200, at: T0 + 60_000 })
  writer.record({ route: 'GET /a', status: 503, at: T0 + 59_999 })
  assert.equal(writer.pending, 4)
  assert.equal(sink.batches.length, 0, 'nothing is written on the request path')
  await writer.flush()
  assert.equal(writer.pending, 0)
  assert.deepEqual(sink.batches, [[
    { keyId: 'k1', consumerId: 'c1', route: 'GET /a', statusClass: '2xx', minute: T0, count: 5 },
    { keyId: 'k1', consumerId: 'c1', route: 'GET /a', statusClass: '4xx', minute: T0, count: 1 },
    { keyId: 'k1', consumerId: 'c1', route: 'GET /a', statusClass: '2xx', minute: T0 + 60_000, count: 1 },
    { keyId: undefined, consumerId: undefined, route: 'GET /a', statusClass: '5xx', minute: T0, count: 1 },
  ]])
  await writer.flush()
  assert.equal(sink.batches.length, 1, 'an empty flush writes nothing')
  await writer.close()
})

test('flushes by itself when the buffer reaches maxEntries', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000, maxEntries: 3 })
  const called = sink.nextCall()
  for (let i = 0; i < 3; i++) writer.record({ route: `GET /r${i}`, status: 200, at: T0 })
  await called
  await writer.flush()
  assert.equal(sink.total(), 3)
  await writer.close()
})

test('flushes by itself on the interval', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 5 })
  const called = sink.nextCall()
  writer.record({ route: 'GET /', status: 200, at: T0 })
  // The writer's timer is unref'd (it must not hold a gateway open), so while this test waits for
  // it, a timer of the test's own keeps the event loop alive — and fails the test if no flush comes.
  let giveUp: NodeJS.Timeout | undefined
  try {
    await Promise.race([called, new Promise((_, reject) => (giveUp = setTimeout(() => reject(new Error('no flush on the interval')), 5000)))])
  } finally {
    clearTimeout(giveUp)
  }
  await writer.close()
  assert.equal(sink.total(), 1)
})

test('a failed flush keeps its counts for the next one', async () => {
  const sink = createSink()
  const errors: unknown[] = []
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000, onError: (e) => errors.push(e) })
  writer.record({ keyId: 'k', route: 'GET /', status: 200, at: T0 })
  writer.record({ keyId: 'k', route: 'GET /', status: 200, at: T0 })
  sink.failTimes(1)
  await assert.rejects(writer.flush(), /store down/)
  assert.equal(writer.pending, 1)
  writer.record({ keyId: 'k', route: 'GET /', status: 201, at: T0 })
  await writer.flush()
  assert.deepEqual(sink.batches, [[{ keyId: 'k', consumerId: undefined, route: 'GET /', statusClass: '2xx', minute: T0, count: 3 }]])
  assert.equal(writer.dropped, 0)
  await writer.close()
})

test('hits recorded during a slow flush go into the next one, none twice', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000 })
  writer.record({ route: 'GET /', status: 200, at: T0 })
  const release = sink.hold()
  const called = sink.nextCall()
  const first = writer.flush()
  await called
  for (let i = 0; i < 10; i++) writer.record({ route: 'GET /', status: 200, at: T0 })
  const second = writer.flush()
  const third = writer.flush()
  assert.equal(second, third, 'one queued flush is shared')
  release()
  await Promise.all([first, second])
  assert.deepEqual(sink.batches.map((b) => b[0]!.count), [1, 10])
  await writer.close()
})

test('close flushes everything, even behind an in-flight flush; later hits are dropped', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000 })
  writer.record({ route: 'GET /', status: 200, at: T0 })
  const release = sink.hold()
  const called = sink.nextCall()
  const inFlight = writer.flush()
  await called
  writer.record({ route: 'GET /', status: 500, at: T0 })
  const closing = writer.close()
  release()
  await Promise.all([inFlight, closing])
  assert.equal(sink.total(), 2)
  writer.record({ route: 'GET /', status: 200, at: T0 })
  assert.equal(writer.dropped, 1)
  assert.equal(writer.pending, 0)
})

test('caps the buffer while the store is down, counting what it drops', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000, maxEntries: 2, maxPendingEntries: 2, onError: () => {} })
  sink.failTimes(1_000)
  const release = sink.hold()
  writer.record({ route: 'GET /1', status: 200, at: T0 })
  writer.record({ route: 'GET /2', status: 200, at: T0 })
  writer.record({ route: 'GET /3', status: 200, at: T0 }) // new counter while a flush is in flight: fits
  writer.record({ route: 'GET /1', status: 200, at: T0 })
  writer.record({ route: 'GET /3', status: 200, at: T0 })
  release()
  await assert.rejects(writer.flush())
  // Restoring the failed batch (/1, /2) over the buffered /1, /3: /2 no longer fits.
  assert.equal(writer.pending, 2)
  assert.equal(writer.dropped, 1)
  sink.failTimes(0)
  await writer.close()
  assert.equal(sink.total(), 4)
})

test('loses nothing end to end with a real SQLite store', async () => {
  const store = openSqliteDataStore(':memory:')
  const writer = createUsageWriter(store, { flushIntervalMs: 60_000, maxEntries: 50 })
  const expected = new Map<string, number>()
  for (let i = 0; i < 5000; i++) {
    const keyId = `k${i % 4}`
    writer.record({ keyId, consumerId: 'c', route: `GET /r${i % 9}`, status: i % 10 ? 200 : 429, at: T0 + (i % 180) * 1000 })
    expected.set(keyId, (expected.get(keyId) ?? 0) + 1)
  }
  await writer.close()
  for (const [keyId, count] of expected) {
    const rows = await store.usage({ keyId, granularity: 'hour' })
    assert.equal(rows.reduce((sum, r) => sum + r.count, 0), count)
  }
  await store.close()
})

test('a failed batch merges back row by row: minutes, status classes and absent ids stay apart', async () => {
  const sink = createSink()
  const writer = createUsageWriter(sink, { flushIntervalMs: 60_000 })
  const hits = [
    { keyId: 'k', consumerId: 'c', route: 'GET /', status: 200, at: T0 },
    { keyId: 'k', consumerId: 'c', route: 'GET /', status: 404, at: T0 },
    { keyId: 'k', consumerId: 'c', route: 'GET /', status: 200, at: T0 + 60_000 },
    { route: 'GET /', status: 200, at: T0 },
    { keyId: 'k', consumerId: 'c', route: 'GET /b', status: 999, at: T0 },
  ]
  for (const hit of hits) writer.record(hit)
  sink.failTimes(1)
  await assert.rejects(writer.flush(), /store down/)
  for (const hit of [...hits].reverse()) writer.record(hit)
  writer.record({ keyId: 'k', consumerId: 'c', route: 'GET /', status: 500, at: T0 })
  assert.equal(writer.pending, 6)
  await writer.flush()
  assert.deepEqual(sink.batches, [[
    { keyId: 'k', consumerId: 'c', route: 'GET /', statusClass: '2xx', minute: T0, count: 2 },
    { keyId: 'k', consumerId: 'c', route: 'GET /', statusClass: '4xx', minute: T0, count: 2 },
    { keyId: 'k', consumerId: 'c', route: 'GET /', statusClass: '2xx', minute: T0 + 60_000, count: 2 },
    { keyId: undefined, consumerId: undefined, route: 'GET /', statusClass: '2xx', minute: T0, count: 2 },
    { keyId: 'k', consumerId: 'c', route: 'GET /b', statusClass: '5xx', minute: T0, count: 2 },
    { keyId: 'k', consumerId: 'c', route: 'GET /', statusClass: '5xx', minute: T0, count: 1 },
  ]])
  await writer.close()
})
