/**
 * A fixed CPU workload, timed, so absolute figures from different machines (or one machine on
 * different days) can be put side by side: the hosts these benchmarks run on differ up to ~3x in
 * speed per core. The workload is what a gateway does most — parse and serialise JSON, walk
 * strings — and takes ~10–30 ms. Ratios measured side by side need no such correction.
 */
import { stationDocument } from './station-traffic.js'

/** Microseconds per unit of the fixed workload (best of five, to skip a descheduled try). */
export function hostSpeedProbe(): number {
  const docs = Array.from({ length: 50 }, (_, i) => stationDocument(i))
  let best = Number.POSITIVE_INFINITY
  let sink = 0
  for (let attempt = 0; attempt < 5; attempt++) {
    const start = process.hrtime.bigint()
    for (let round = 0; round < 20; round++)
      for (const doc of docs) {
        const parsed = JSON.parse(doc) as { description: string }
        sink += JSON.stringify(parsed).length + parsed.description.toLowerCase().indexOf('station')
      }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / (20 * docs.length))
  }
  if (sink === 0) throw new Error('host-speed probe: empty workload')
  return best
}

/** One line for a report header. */
export function describeHostSpeed(): string {
  return `host speed probe ${hostSpeedProbe().toFixed(2)} µs per 1 KiB JSON parse+stringify (lower is faster; compare absolute figures only at similar values)`
}
