import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pairRatios, runAlternating, type Slice } from '../../benchmarks/lib/alternating-load.js'

const slice = (side: 0 | 1, responses: number, cpuMs?: number): Slice => ({ side, startedAt: 0, ms: 100, responses, cpuMs, latenciesMs: [] })

test('pairRatios compares each row slice with the mean of the baseline slices around it', () => {
  const { rps, cpu } = pairRatios([slice(0, 100, 10), slice(1, 90, 10), slice(0, 80, 8), slice(1, 40, 8), slice(0, 120, 12)])
  assert.deepEqual(rps, [90 / 90, 40 / 100])
  // CPU per response: 0.1 | 0.111 | 0.1 → 1.111; 0.1 | 0.2 | 0.1 → 2
  assert.deepEqual(cpu.map((x) => +x.toFixed(3)), [1.111, 2])
})

test('pairRatios skips empty slices, an unpaired edge and CPU it could not read', () => {
  const { rps, cpu } = pairRatios([slice(1, 50), slice(0, 100, 10), slice(1, 0, 0), slice(0, 100, 10), slice(1, 50), slice(0, 100, 10)])
  assert.deepEqual(rps, [0.5])
  assert.deepEqual(cpu, [])
})

test('runAlternating sends each side in its own slices and counts responses per side', async () => {
  const served = { '/a': 0, '/b': 0 } as Record<string, number>
  const server = createServer((req, res) => {
    served[req.url!] = (served[req.url!] ?? 0) + 1
    res.setHeader('x-side', req.headers['x-side'] ?? '')
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const connections = 4
    const result = await runAlternating(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, [
      { path: '/a', headers: { 'x-side': 'a' } },
      { path: '/b', method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
    ], { connections, durationS: 1.2, sliceMs: 100 })
    assert.equal(result.errors, 0)
    assert.equal(result.non2xx, 0)
    assert.ok(result.slices.length >= 6, `${result.slices.length} slices`)
    assert.ok(result.slices.some((s) => s.side === 0) && result.slices.some((s) => s.side === 1))
    // Slices alternate.
    for (let i = 1; i < result.slices.length; i++) assert.notEqual(result.slices[i]!.side, result.slices[i - 1]!.side)
    // Requests in flight at a switch (at most one per connection) land in the next slice.
    const switches = result.slices.length
    for (const [side, path] of [[0, '/a'], [1, '/b']] as const) {
      const counted = result.responsesBySide[side]
      assert.ok(Math.abs(counted - served[path]!) <= connections * (switches + 1), `${path}: counted ${counted}, served ${served[path]}`)
      assert.ok(served[path]! > 0)
    }
  } finally {
    server.close()
  }
})
