/**
 * `npm run bench`: the gateway (ip-filter + request-size) vs the same gateway without policies vs
 * a bare node:http + undici proxy vs the upstream directly — one run, same machine, interleaved
 * rounds so drift on a shared machine hits every target alike. Prints a markdown table.
 * Options: BENCH_CONNECTIONS (default 32 — "moderate load"), BENCH_SECONDS (default 10), BENCH_ROUNDS (default 2).
 */
import { startTarget } from './lib/targets.js'
import { runLoad, table, type LoadResult } from './lib/load.js'
import { averageRuns } from './lib/compare.js'

const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const durationS = Number(process.env.BENCH_SECONDS ?? 10)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)

const upstream = await startTarget('upstream.mjs')
const targets = {
  direct: upstream,
  'bare node proxy': await startTarget('bare-proxy.mjs', [upstream.url]),
  'gateway (no policies)': await startTarget('gateway.mjs', [upstream.url, 'plain']),
  'gateway (ip-filter + request-size)': await startTarget('gateway.mjs', [upstream.url, 'edge']),
}
const sums = new Map<string, LoadResult[]>()
try {
  for (const [name, target] of Object.entries(targets)) await runLoad(name, `${target.url}/v1/stations/stn_1`, { connections, durationS: 2 }) // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, target] of Object.entries(targets)) {
      const r = await runLoad(name, `${target.url}/v1/stations/stn_1`, { connections, durationS })
      sums.set(name, [...(sums.get(name) ?? []), r])
    }
  }
} finally {
  for (const t of Object.values(targets)) t.stop()
}
const averaged = [...sums.entries()].map(([name, runs]) => averageRuns(name, runs))
process.stdout.write(`\n${new Date().toISOString()} — ${connections} connections, ${rounds} × ${durationS}s per target, GET of a small JSON body\n\n`)
process.stdout.write(table(averaged, 'bare node proxy') + '\n')

