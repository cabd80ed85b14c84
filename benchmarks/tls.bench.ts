/**
 * `node --import tsx benchmarks/tls.bench.ts`: what TLS and HTTP/2 cost through the gateway.
 * One gateway process (ip-filter + request-size on the route) listens on plain HTTP and HTTPS
 * (h2 + http/1.1); the same upstream; rounds interleaved so machine drift hits every row alike.
 *
 * Rows: plain HTTP/1.1 keep-alive (autocannon), HTTPS HTTP/1.1 keep-alive (autocannon, TLS 1.3),
 * HTTP/2 over TLS (a node:http2 client loop — autocannon does not speak h2 — with the same number
 * of requests in flight, on one connection and spread over several). Ratios are against plain HTTP.
 * The h2 client is JavaScript in this process while autocannon is a tighter client, so h2 rows are
 * a lower bound for the gateway's h2 throughput.
 * Options: BENCH_CONNECTIONS (in-flight requests, default 32), BENCH_SECONDS (default 10),
 * BENCH_ROUNDS (default 2), BENCH_H2_SESSIONS (default 8).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readFile } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import type { ClientHttp2Session } from 'node:http2'
import { pino } from 'pino'
import { startTarget } from './lib/targets.js'
import { runLoad, table, type LoadResult } from './lib/load.js'
import { createTestPki } from '../src/tls/test-pki.js'
import { h2Session } from '../src/tls/test-clients.js'

const PATH = '/v1/stations/stn_1'

if (process.argv[2] === 'serve') await serveGateway(process.argv[3]!, process.argv[4]!, process.argv[5]!)
else await main()

/** Child mode: the gateway under test, on plain HTTP and HTTPS. */
async function serveGateway(upstreamUrl: string, cert: string, key: string): Promise<void> {
  const { createGateway } = await import('../src/gateway.js')
  const { validateConfigObject, formatIssues } = await import('../src/config/load.js')
  const { createRegistry } = await import('../src/policies/registry.js')
  const registry = createRegistry()
  const result = validateConfigObject(
    {
      listen: { http: { host: '127.0.0.1', port: 0 }, https: { host: '127.0.0.1', port: 0, certificates: [{ cert, key }], watch: false } },
      admin: { host: '127.0.0.1', port: 0 },
      storage: { state: 'memory', data: 'sqlite::memory:' },
      upstreams: { app: { url: upstreamUrl, connections: 128 } },
      routes: [
        {
          name: 'bench',
          match: { path: '/*' },
          upstream: 'app',
          policies: [
            { name: 'ip-filter', config: { allow: ['127.0.0.0/8', '::1/128'], deny: ['203.0.113.0/24'] } },
            { name: 'request-size', config: { maxBodyBytes: '64kb', maxUrlBytes: '4kb', maxQueryParams: 50 } },
          ],
        },
      ],
    },
    registry,
  )
  if (!result.ok) throw new Error(formatIssues(result.errors))
  const gateway = await createGateway({ config: result.config, registry, logger: pino({ level: 'info' }, createWriteStream('/dev/null')) })
  await gateway.start()
  process.stdout.write(`READY ${gateway.url} ${gateway.httpsUrl}\n`)
}

async function main(): Promise<void> {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
  const durationS = Number(process.env.BENCH_SECONDS ?? 10)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
  const h2Sessions = Number(process.env.BENCH_H2_SESSIONS ?? 8)
  const pki = await createTestPki('bench')
  const server = await pki.issue('server', { commonName: 'localhost', subjectAltName: 'DNS:localhost,IP:127.0.0.1', usage: 'server' })
  const ca = await readFile(pki.caCert, 'utf8')
  const upstream = await startTarget('upstream.mjs')
  const gateway = await startGateway(upstream.url, server.cert, server.key)
  const scenarios: Record<string, (seconds: number) => Promise<LoadResult>> = {
    'plain HTTP/1.1 keep-alive': (s) => runLoad('plain HTTP/1.1 keep-alive', `${gateway.http}${PATH}`, { connections, durationS: s }),
    'HTTPS HTTP/1.1 keep-alive': (s) => runLoad('HTTPS HTTP/1.1 keep-alive', `${gateway.https}${PATH}`, { connections, durationS: s }),
    [`HTTP/2, 1 connection × ${connections} streams`]: (s) => runH2(`HTTP/2, 1 connection × ${connections} streams`, gateway.https, ca, 1, connections, s),
    [`HTTP/2, ${h2Sessions} connections × ${connections / h2Sessions} streams`]: (s) =>
      runH2(`HTTP/2, ${h2Sessions} connections × ${connections / h2Sessions} streams`, gateway.https, ca, h2Sessions, connections, s),
  }
  const runs = new Map<string, LoadResult[]>()
  try {
    for (const run of Object.values(scenarios)) await run(2) // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(scenarios)) runs.set(name, [...(runs.get(name) ?? []), await run(durationS)])
    }
  } finally {
    gateway.stop()
    upstream.stop()
    await pki.cleanup()
  }
  const averaged = [...runs.entries()].map(([name, r]) => ({
    name,
    rps: avg(r.map((x) => x.rps)),
    p50Ms: avg(r.map((x) => x.p50Ms)),
    p99Ms: avg(r.map((x) => x.p99Ms)),
    errors: r.reduce((n, x) => n + x.errors, 0),
    non2xx: r.reduce((n, x) => n + x.non2xx, 0),
  }))
  process.stdout.write(`\n${new Date().toISOString()} — ${connections} requests in flight, ${rounds} × ${durationS}s per row, GET of a small JSON body, gateway with ip-filter + request-size\n\n`)
  process.stdout.write(table(averaged, 'plain HTTP/1.1 keep-alive') + '\n')
}

function startGateway(upstreamUrl: string, cert: string, key: string): Promise<{ http: string; https: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', upstreamUrl, cert, key], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /READY (\S+) (\S+)/.exec(out)
      if (m) resolve({ http: m[1]!, https: m[2]!, stop: () => child.kill('SIGKILL') })
    })
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before READY`)))
  })
}

/** `inFlight` concurrent request loops spread over `sessions` HTTP/2 connections. */
async function runH2(name: string, origin: string, ca: string, sessions: number, inFlight: number, durationS: number): Promise<LoadResult> {
  const open: ClientHttp2Session[] = await Promise.all(Array.from({ length: sessions }, () => h2Session(origin, { ca, servername: 'localhost' })))
  const latencies: number[] = []
  let errors = 0
  let non2xx = 0
  const started = performance.now()
  const deadline = started + durationS * 1000
  await Promise.all(
    Array.from({ length: inFlight }, async (_, i) => {
      const session = open[i % sessions]!
      while (performance.now() < deadline) {
        const t0 = performance.now()
        try {
          const status = await h2Get(session)
          if (status < 200 || status >= 300) non2xx++
          latencies.push(performance.now() - t0)
        } catch {
          errors++
        }
      }
    }),
  )
  const elapsedS = (performance.now() - started) / 1000
  for (const session of open) session.close()
  latencies.sort((a, b) => a - b)
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0
  return { name, rps: latencies.length / elapsedS, p50Ms: pct(50), p99Ms: pct(99), errors, non2xx }
}

function h2Get(session: ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': PATH })
    let status = 0
    stream.on('response', (headers) => (status = Number(headers[':status'])))
    stream.on('error', reject)
    stream.on('end', () => resolve(status))
    stream.resume()
  })
}

function avg(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}
