/** One autocannon run, reduced to the figures the reports quote. */
import autocannon from 'autocannon'

export interface LoadResult {
  name: string
  rps: number
  p50Ms: number
  p99Ms: number
  errors: number
  non2xx: number
  /** Requests completed in the run (all statuses). */
  total?: number
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  connections: number
  durationS: number
  method?: string
  body?: string
  headers?: Record<string, string>
  /**
   * Per-request hook (autocannon's `setupRequest`): runs in this process before every request,
   * e.g. to sign it. Its CPU competes with the target's on a small machine.
   */
  setupRequest?: (request: autocannon.Request) => autocannon.Request
}

export async function runLoad(name: string, url: string, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationS,
    method: (options.method ?? 'GET') as 'GET',
    body: options.body,
    headers: options.headers,
    ...(options.setupRequest ? { requests: [{ setupRequest: options.setupRequest }] } : {}),
  })
  return {
    name,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  }
}

/** A markdown table with ratios against the named baseline. */
export function table(results: LoadResult[], baseline: string): string {
  const base = results.find((r) => r.name === baseline)
  const rows = results.map((r) => {
    const ratio = base ? `${((r.rps / base.rps) * 100).toFixed(1)}%` : ''
    const added = base ? (r.p50Ms - base.p50Ms).toFixed(2) : ''
    return `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${ratio} | ${added} | ${r.errors + r.non2xx} |`
  })
  return ['| target | req/s | p50 ms | p99 ms | req/s vs ' + baseline + ' | p50 added (ms) | errors/non-2xx |', '|---|---|---|---|---|---|---|', ...rows].join('\n')
}
