/**
 * Inspection cost of the `injection-guard` policy, in process: median and p99 for a typical
 * 1 KiB JSON request and for a 100 KB ReDoS-style input.
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
const redos: RequestParts = { ...typical, headers: { ...typical.headers, 'content-type': 'text/plain' }, body: Buffer.from("'" + ' or 1'.repeat(20_000)) }

function measure(name: string, parts: RequestParts, runs: number): void {
  const guard = createInjectionGuard(resolveInjectionGuardConfig({ limits: { timeoutMs: 5000 } }))
  for (let i = 0; i < Math.min(runs, 1000); i++) guard.inspect(parts)
  const samples = new Float64Array(runs)
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    guard.inspect(parts)
    samples[i] = Number(process.hrtime.bigint() - t) / 1000
  }
  samples.sort()
  const at = (q: number): string => samples[Math.min(runs - 1, Math.floor(q * runs))]!.toFixed(1)
  console.log(`${name.padEnd(34)} bytes=${String(parts.body?.length ?? 0).padStart(6)}  median ${at(0.5)} µs  p99 ${at(0.99)} µs  (n=${runs})`)
  guard.close()
}

measure('typical 1 KiB JSON request', typical, iterations)
measure('100 KB ReDoS-style body', redos, Math.max(50, Math.floor(iterations / 200)))
