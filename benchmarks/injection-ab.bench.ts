/**
 * The `injection-guard` of another checkout against this one, in one process: both inspect the
 * same typical ~1 KiB JSON stream in alternating chunks of 96 requests, so a noisy host slows both
 * alike, and the figure that counts is the median of the per-chunk ratios.
 *
 *   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   BASE=/tmp/base node --import tsx benchmarks/injection-ab.bench.ts [--batch 8] [--paranoia 2] [--chunks 200]
 *
 * `--batch n` inspects n requests at a time (`inspectMany`, as a busy gateway does).
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { InjectionGuard } from '../src/policies/injection-guard/injection-guard.js'
import { resolveInjectionGuardConfig } from '../src/policies/injection-guard/schema.js'
import type { RequestParts } from '../src/policies/injection-guard/extract.js'
import { stationDocument } from './lib/station-traffic.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`)
  return at < 0 ? fallback : Number(args[at + 1])
}
const batch = option('batch', 1)
const paranoia = option('paranoia', 1)
const chunks = option('chunks', 200)
const base = process.env.BASE
if (!base) {
  console.error('usage: BASE=<path of the other checkout> npm run bench:injection:ab [-- --batch 8 --paranoia 2 --chunks 200]')
  process.exit(2)
}

type Module = { createInjectionGuard: (config: ReturnType<typeof resolveInjectionGuardConfig>) => InjectionGuard }
const load = (root: string): Promise<Module> => import(pathToFileURL(resolve(root, 'src/policies/injection-guard/injection-guard.ts')).href) as Promise<Module>
const modules = [await load(base), await load(resolve(import.meta.dirname, '..'))]

const headers = {
  host: 'api.example.com',
  'user-agent': 'WeatherApp/3.4.1 (iPhone; iOS 18.1; Scale/3.00)',
  accept: 'application/json',
  'content-type': 'application/json',
}
const request = (seq: number): RequestParts => ({
  method: 'POST',
  path: `/v1/stations/stn_${seq}/observations`,
  rawQuery: 'dry_run=false&source=app',
  headers,
  body: Buffer.from(stationDocument(seq)),
})
const CHUNK = 96
const WARM_UP = 1000
const requests = Array.from({ length: WARM_UP + CHUNK * chunks }, (_, i) => request(i))
const config = resolveInjectionGuardConfig({ paranoia, limits: { timeoutMs: 5000 } })
const guards = modules.map((m) => m.createInjectionGuard(config))
const run = (guard: InjectionGuard, from: number, to: number): void => {
  if (batch === 1) for (let i = from; i < to; i++) guard.inspect(requests[i]!)
  else for (let i = from; i < to; i += batch) guard.inspectMany(requests.slice(i, Math.min(to, i + batch)))
}
for (const guard of guards) run(guard, 0, WARM_UP)

const perRequestUs: [number[], number[]] = [[], []]
for (let c = 0; c < chunks; c++) {
  const from = WARM_UP + c * CHUNK
  // Alternate which goes first, so neither always runs on caches the other warmed.
  for (const k of c % 2 === 0 ? [0, 1] : [1, 0]) {
    const started = process.hrtime.bigint()
    run(guards[k]!, from, from + CHUNK)
    perRequestUs[k]!.push(Number(process.hrtime.bigint() - started) / 1000 / CHUNK)
  }
}
for (const guard of guards) guard.close()

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!
const ratios = perRequestUs[1].map((us, i) => us / perRequestUs[0][i]!)
console.log(
  `PL${paranoia}, ${batch === 1 ? 'one request at a time' : `turns of ${batch}`}: base ${median(perRequestUs[0]).toFixed(1)} µs, ` +
    `this checkout ${median(perRequestUs[1]).toFixed(1)} µs per request (medians of ${chunks} chunks); ` +
    `this/base per chunk: median ${median(ratios).toFixed(3)}`,
)
