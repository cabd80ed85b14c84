/**
 * Inspection cost of the `injection-guard` policy, in process: median and p99 for a typical
 * ~1 KiB JSON request (at paranoia levels 1, 2 and 4), a query-only GET and 100 KB ReDoS-style
 * inputs (the shapes the bounded-time test uses, at levels 1 and 4).
 *
 *   node --import tsx benchmarks/injection.bench.ts [--iterations 20000]
 */
import { createInjectionGuard, type GuardOptions } from '../src/policies/injection-guard/injection-guard.js'
import { resolveInjectionGuardConfig } from '../src/policies/injection-guard/schema.js'
import type { RequestParts } from '../src/policies/injection-guard/extract.js'
import { stationDocument } from './lib/station-traffic.js'
import { describeHostSpeed } from './lib/host-speed.js'
import { AUTOMATON_STRESS } from '../test/helpers/stress-text.js'

const args = process.argv.slice(2)
const iterations = Number(args[args.indexOf('--iterations') + 1] || 20_000)

const typicalHeaders = {
  host: 'api.example.com',
  'user-agent': 'WeatherApp/3.4.1 (iPhone; iOS 18.1; Scale/3.00)',
  accept: 'application/json',
  'accept-language': 'en-GB,en;q=0.8',
  'content-type': 'application/json',
  'x-api-key': 'pk_live_0123456789abcdef0123456789abcdef',
}
/** Request `seq` of a typical stream: same shape and keys, new ids and free text every time. */
const typicalRequest = (seq: number): RequestParts => ({
  method: 'POST',
  path: `/v1/stations/stn_${seq}/observations`,
  rawQuery: 'dry_run=false&source=app',
  headers: typicalHeaders,
  body: Buffer.from(stationDocument(seq)),
})
const typical = typicalRequest(0)
const queryOnly: RequestParts = {
  method: 'GET',
  path: '/v1/stations',
  rawQuery: 'near=53.55%2C9.99&radius_km=25&tags=coastal%2Curban&sort=-updated_at&limit=20&q=harbour%20office',
  headers: { host: 'api.example.com', 'user-agent': typical.headers['user-agent'], accept: 'application/json', 'x-api-key': 'pk_live_0123456789abcdef0123456789abcdef' },
}
const textBody = (text: string): RequestParts => ({ ...typical, headers: { ...typical.headers, 'content-type': 'text/plain' }, body: Buffer.from(text) })
const REDOS: [string, string][] = [
  ["quote + ' or 1' x 20000", "'" + ' or 1'.repeat(20_000)],
  ["'a' x 100000 + '!'", 'a'.repeat(100_000) + '!'],
  ["'<' + 'a ' x 50000", '<' + 'a '.repeat(50_000)],
  ["'${' x 50000", '${'.repeat(50_000)],
  ["nested groups x 12000", '(' + '((a|a)*)'.repeat(12_000)],
  ...AUTOMATON_STRESS,
]

/**
 * Median and p99 wall time plus mean CPU time of `guard.inspect` over `runs` requests; request i
 * is `request(i)` (requests are built before the clock starts).
 */
function measure(name: string, request: (i: number) => RequestParts, runs: number, options: GuardOptions = {}, paranoia = 1): void {
  const guard = createInjectionGuard(resolveInjectionGuardConfig({ paranoia, limits: { timeoutMs: 5000 } }), undefined, options)
  const warmUp = Math.min(runs, 1000)
  const requests = Array.from({ length: warmUp + runs }, (_, i) => request(i))
  for (let i = 0; i < warmUp; i++) guard.inspect(requests[i]!)
  const samples = new Float64Array(runs)
  // CPU time as well: on a shared machine wall-clock medians include time spent waiting for a core.
  const cpuStart = process.cpuUsage()
  for (let i = 0; i < runs; i++) {
    const parts = requests[warmUp + i]!
    const t = process.hrtime.bigint()
    guard.inspect(parts)
    samples[i] = Number(process.hrtime.bigint() - t) / 1000
  }
  const cpu = process.cpuUsage(cpuStart)
  const cpuMeanUs = ((cpu.user + cpu.system) / runs).toFixed(1)
  samples.sort()
  const at = (q: number): string => samples[Math.min(runs - 1, Math.floor(q * runs))]!.toFixed(1)
  const bytes = requests[warmUp]!.body?.length ?? 0
  console.log(`${name.padEnd(52)} bytes=${String(bytes).padStart(6)}  median ${at(0.5)} µs  p99 ${at(0.99)} µs  cpu mean ${cpuMeanUs} µs  (n=${runs})`)
  guard.close()
}

/**
 * Per-request cost when a busy gateway inspects `size` requests of one event-loop turn together
 * (`inspectMany`, as the policy does): median and p99 of batch time / size.
 */
function measureBatches(name: string, request: (i: number) => RequestParts, runs: number, size: number): void {
  const guard = createInjectionGuard(resolveInjectionGuardConfig({ limits: { timeoutMs: 5000 } }))
  const batches = Math.floor(runs / size)
  const warmUp = Math.min(batches, Math.ceil(1000 / size))
  const all = Array.from({ length: (warmUp + batches) * size }, (_, i) => request(i))
  const batch = (b: number): RequestParts[] => all.slice(b * size, b * size + size)
  for (let b = 0; b < warmUp; b++) guard.inspectMany(batch(b))
  const samples = new Float64Array(batches)
  const cpuStart = process.cpuUsage()
  for (let b = 0; b < batches; b++) {
    const requests = batch(warmUp + b)
    const t = process.hrtime.bigint()
    guard.inspectMany(requests)
    samples[b] = Number(process.hrtime.bigint() - t) / 1000 / size
  }
  const cpu = process.cpuUsage(cpuStart)
  samples.sort()
  const at = (q: number): string => samples[Math.min(batches - 1, Math.floor(q * batches))]!.toFixed(1)
  console.log(`${name.padEnd(52)} per request: median ${at(0.5)} µs  p99 ${at(0.99)} µs  cpu mean ${((cpu.user + cpu.system) / (batches * size)).toFixed(1)} µs  (n=${batches * size})`)
  guard.close()
}

const same = (parts: RequestParts) => () => parts
console.log(describeHostSpeed())
measure('typical 1 KiB JSON, new text in every request', typicalRequest, iterations)
measure('  the same, clean-string memo off (all cold)', typicalRequest, iterations, { memoEntries: 0 })
measure('  one request repeated (upper bound of the memo)', same(typical), iterations)
for (const size of [4, 8]) measureBatches(`  in turns of ${size} requests (inspectMany)`, typicalRequest, iterations, size)
for (const paranoia of [2, 4]) measure(`  the same at paranoia level ${paranoia}`, typicalRequest, iterations, {}, paranoia)
measure('query-only GET', same(queryOnly), iterations)
measure('  the same, memo off', same(queryOnly), iterations, { memoEntries: 0 })
for (const paranoia of [1, 4]) {
  for (const [name, text] of REDOS) measure(`100 KB ReDoS at PL${paranoia}: ${name}`, same(textBody(text)), Math.max(50, Math.floor(iterations / 200)), {}, paranoia)
}
