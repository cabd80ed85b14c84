/**
 * Inspection cost of the `injection-guard` policy, in process: median and p99 for a typical
 * ~1 KiB JSON request, a query-only GET and 100 KB ReDoS-style inputs (the shapes the
 * bounded-time test uses).
 *
 *   node --import tsx benchmarks/injection.bench.ts [--iterations 20000]
 */
import { createInjectionGuard } from '../src/policies/injection-guard/injection-guard.js'
import { resolveInjectionGuardConfig } from '../src/policies/injection-guard/schema.js'
import type { RequestParts } from '../src/policies/injection-guard/extract.js'

const args = process.argv.slice(2)
const iterations = Number(args[args.indexOf('--iterations') + 1] || 20_000)

const typicalBody = JSON.stringify({
  name: 'Harbour Rooftop',
  lat: 53.5461,
  lon: 9.9661,
  elevation_m: 34,
  tags: ['coastal', 'urban', 'rooftop'],
  owner: { name: "Seán O'Brien", email: 'sean.obrien@example.ie' },
  description: 'Mounted on the harbour office roof, 2 m above the parapet. Drop me a line if readings look odd; we select a calibration plan every spring.',
  sensors: [
    { kind: 'temperature', model: 'TX-200', range: '-40..60 °C' },
    { kind: 'wind', model: 'AN-9', range: '0..60 m/s' },
    { kind: 'rain', model: 'RG-3', range: '0..500 mm/h' },
  ],
  notes: 'See https://docs.example.com/stations/setup?lang=en for the setup guide. Firmware v2.4.1.',
})
const typical: RequestParts = {
  method: 'POST',
  path: '/v1/stations/st-0042/observations',
  rawQuery: 'dry_run=false&source=app',
  headers: {
    host: 'api.example.com',
    'user-agent': 'WeatherApp/3.4.1 (iPhone; iOS 18.1; Scale/3.00)',
    accept: 'application/json',
    'accept-language': 'en-GB,en;q=0.8',
    'content-type': 'application/json',
    'x-api-key': 'pk_live_0123456789abcdef0123456789abcdef',
  },
  body: Buffer.from(typicalBody),
}
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
]

function measure(name: string, parts: RequestParts, runs: number): void {
  const guard = createInjectionGuard(resolveInjectionGuardConfig({ limits: { timeoutMs: 5000 } }))
  for (let i = 0; i < Math.min(runs, 1000); i++) guard.inspect(parts)
  const samples = new Float64Array(runs)
  // CPU time as well: on a shared machine wall-clock medians include time spent waiting for a core.
  const cpuStart = process.cpuUsage()
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    guard.inspect(parts)
    samples[i] = Number(process.hrtime.bigint() - t) / 1000
  }
  const cpu = process.cpuUsage(cpuStart)
  const cpuMeanUs = ((cpu.user + cpu.system) / runs).toFixed(1)
  samples.sort()
  const at = (q: number): string => samples[Math.min(runs - 1, Math.floor(q * runs))]!.toFixed(1)
  console.log(`${name.padEnd(44)} bytes=${String(parts.body?.length ?? 0).padStart(6)}  median ${at(0.5)} µs  p99 ${at(0.99)} µs  cpu mean ${cpuMeanUs} µs  (n=${runs})`)
  guard.close()
}

measure('typical 1 KiB JSON request', typical, iterations)
measure('query-only GET', queryOnly, iterations)
for (const [name, text] of REDOS) measure(`100 KB ReDoS: ${name}`, textBody(text), Math.max(50, Math.floor(iterations / 200)))
