/**
 * One autocannon run that alternates between two request kinds ("sides") in short time slices —
 * baseline, row, baseline, row, ... every `sliceMs` — on the same connections to the same
 * gateway process. Why: this machine's speed moves by tens of percent from one few-second window to
 * the next (other tenants of the host slow every function of the gateway alike), so comparing two
 * separate windows measures the host as much as the policy. Slices half a second apart see the
 * same machine; the median of the per-pair ratios over many pairs is the figure, and its spread is
 * printed with it.
 *
 * Responses are counted in the slice in which they arrive; the few requests in flight at a switch
 * (at most one per connection) land in the next slice, an error of ~1% that is the same for both
 * sides. The target's CPU is read at every switch, so CPU per request is per side too.
 */
import autocannon from 'autocannon'
import { performance } from 'node:perf_hooks'

/** One kind of request: what the load generator sends during its slices. */
export interface Side {
  path: string
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Per-request hook applied after path, method, headers and body are set (e.g. signing). */
  setupRequest?: (request: autocannon.Request) => autocannon.Request
}

/** What one slice measured. */
export interface Slice {
  side: 0 | 1
  /** performance.now() at the slice's start. */
  startedAt: number
  ms: number
  responses: number
  /** Target CPU used during the slice (ms), when a reader was given. */
  cpuMs: number | undefined
  latenciesMs: number[]
}

export interface AlternatingResult {
  /** The measured slices (after the warm-up). */
  slices: Slice[]
  /** Responses per side over the whole run, warm-up included (for counters read around the run). */
  responsesBySide: [number, number]
  errors: number
  non2xx: number
}

export interface AlternatingOptions {
  connections: number
  durationS: number
  sliceMs: number
  /** Seconds at the start whose slices are dropped (warm-up on the same connections). */
  warmupS?: number
  /** Cumulative CPU ms of the target process (read at every switch). */
  readCpuMs?: () => number | undefined
}

export async function runAlternating(origin: string, sides: readonly [Side, Side], options: AlternatingOptions): Promise<AlternatingResult> {
  let current: 0 | 1 = 0
  const measuredFrom = performance.now() + (options.warmupS ?? 0) * 1000
  const slices: Slice[] = []
  let open = { start: performance.now(), cpu: options.readCpuMs?.(), responses: 0, latenciesMs: [] as number[] }
  let non2xx = 0
  const responsesBySide: [number, number] = [0, 0]
  const closeSlice = (): void => {
    const now = performance.now()
    const cpu = options.readCpuMs?.()
    slices.push({
      side: current,
      startedAt: open.start,
      ms: now - open.start,
      responses: open.responses,
      cpuMs: cpu !== undefined && open.cpu !== undefined ? cpu - open.cpu : undefined,
      latenciesMs: open.latenciesMs,
    })
    open = { start: now, cpu, responses: 0, latenciesMs: [] }
  }
  const setupRequest = (request: autocannon.Request): autocannon.Request => {
    const side = sides[current]
    request.path = side.path
    request.method = (side.method ?? 'GET') as autocannon.Request['method']
    request.headers = { ...side.headers }
    request.body = side.body ?? ''
    return side.setupRequest ? side.setupRequest(request) : request
  }
  let settle!: (value: autocannon.Result) => void
  let fail!: (error: unknown) => void
  const done = new Promise<autocannon.Result>((resolve, reject) => ((settle = resolve), (fail = reject)))
  // The callback form returns the running instance, whose 'response' events the slices count.
  const instance = autocannon(
    { url: origin, connections: options.connections, duration: (options.warmupS ?? 0) + options.durationS, requests: [{ setupRequest }] },
    (error, result) => (error ? fail(error) : settle(result)),
  )
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    open.responses++
    responsesBySide[current]++
    open.latenciesMs.push(responseTime)
    if (statusCode < 200 || statusCode > 299) non2xx++
  })
  const timer = setInterval(() => {
    closeSlice()
    current = current === 0 ? 1 : 0
  }, options.sliceMs)
  try {
    const result = await done
    return { slices: slices.filter((s) => s.startedAt >= measuredFrom), responsesBySide, errors: result.errors + result.timeouts, non2xx }
  } finally {
    clearInterval(timer)
  }
}

/** Per-pair figures: each row slice against the mean of the baseline slices on either side of it. */
export function pairRatios(slices: readonly Slice[]): { rps: number[]; cpu: number[] } {
  const rps: number[] = []
  const cpu: number[] = []
  const rate = (s: Slice) => s.responses / s.ms
  const cpuPer = (s: Slice) => (s.cpuMs === undefined || s.responses === 0 ? undefined : s.cpuMs / s.responses)
  for (let i = 1; i + 1 < slices.length; i++) {
    const row = slices[i]!
    if (row.side !== 1) continue
    const before = slices[i - 1]!
    const after = slices[i + 1]!
    // Slices cut short (the run's last one) or empty say nothing.
    if ([before, row, after].some((s) => s.responses === 0)) continue
    rps.push(rate(row) / ((rate(before) + rate(after)) / 2))
    const c = [before, row, after].map(cpuPer)
    if (c.every((v) => v !== undefined)) cpu.push(c[1]! / ((c[0]! + c[2]!) / 2))
  }
  return { rps, cpu }
}
