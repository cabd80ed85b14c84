import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createTurnBatch } from './turn-batch.js'

test('inputs of one turn run together, in order, after the turn; each gets its own result', async () => {
  const batches: number[][] = []
  const single: number[] = []
  const batch = createTurnBatch(
    (ns: readonly number[]) => {
      batches.push([...ns])
      return ns.map((n) => n * 2)
    },
    (n: number) => {
      single.push(n)
      return n * 2
    },
  )
  const pending = [batch(1), batch(2), batch(3)]
  assert.deepEqual(batches, [], 'nothing runs before the end of the turn')
  assert.deepEqual(await Promise.all(pending), [2, 4, 6])
  assert.deepEqual(batches, [[1, 2, 3]])
  // A later turn starts a new batch; a lone input runs on its own.
  assert.equal(await batch(5), 10)
  assert.deepEqual(batches, [[1, 2, 3]])
  assert.deepEqual(single, [5])
})

test('one failing input rejects only its own promise', async () => {
  const one = (n: number): number => {
    if (n === 2) throw new Error('bad input')
    return n
  }
  const batch = createTurnBatch((ns: readonly number[]) => ns.map(one), one)
  const results = await Promise.allSettled([batch(1), batch(2), batch(3)])
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  assert.equal((results[1] as PromiseRejectedResult).reason.message, 'bad input')
})
