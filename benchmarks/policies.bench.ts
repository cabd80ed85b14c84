/**
 * `npm run bench:policies`: what each policy costs, side by side in one run. One gateway child
 * process per state store (memory; Redis for the Redis row) serves one route per target — the
 * policies under test and a route without any — in front of the same small-JSON upstream, access
 * log on. Each row is measured right after its baseline, both warmed up just before their
 * windows, in every round; the table gives the median over rounds of the row's req/s as a
 * percentage of its baseline's (with the range), and the same for CPU per request. Why: on a
 * shared 2-core machine both the minute-to-minute load and the state of a process (one that sat
 * idle serves its next seconds slower; two identical processes can differ by tens of µs of CPU per
 * request) move single figures by ±20 %; a ratio of adjacent windows in one process cancels both.
 * The gateway is pinned to a core of its own and the load generator and upstream to the other
 * (lib/cpu-pinning.ts): unpinned, where the scheduler last ran each process moved the gateway's
 * CPU per request more than most policies cost. The report says how busy the other core got.
 * Credentials are provisioned through the admin API after start. A row with any error or non-2xx
 * is INVALID.
 *
 * Options (env): BENCH_CONNECTIONS (32), BENCH_SECONDS (5), BENCH_ROUNDS (5),
 * BENCH_WARMUP_SECONDS (2, before every measured window), BENCH_REDIS_URL (redis://127.0.0.1:6379),
 * BENCH_ONLY (row names separated by `,` — or by `;` when a name contains a comma — for quick
 * checks; baselines are kept; a name that matches no row stops the run), BENCH_PIN (1; 0 leaves
 * scheduling to the kernel).
 *
 * HMAC is measured two ways, labelled in the table:
 * - "hmac (per-request signing)": every request is signed in this process by autocannon's
 *   `setupRequest` (fresh nonce each time, as real clients do). The signing CPU competes with the
 *   gateway on a small machine, so its baseline is the plain route receiving equally signed
 *   requests ("baseline POST, client signs"), which pays the same client cost.
 * - "hmac (pre-signed, no nonce)": one request signed once, replayed by autocannon against a
 *   route with `requireNonce: false` and `maxAgeMs: 1h` — verification cost without replay
 *   protection's store write and without client signing.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type autocannon from 'autocannon'
import { request } from 'undici'
import { signRequestHeaders } from '../src/signing/sign.js'
import { startTarget, type Target } from './lib/targets.js'
import type { LoadOptions } from './lib/load.js'
import { pairRatios, runAlternating, type Side } from './lib/alternating-load.js'
import { benchAdmin, fetchClientCredentialsToken, type BenchAdmin } from './lib/provision.js'
import { comparisonTable, invalidRowWarnings, type ComparedRow, type Goal } from './lib/compare.js'
import { createCpuReader } from './lib/proc-cpu.js'
import { createRedisCounter, diffCalls, type RedisCounter } from './lib/redis-stats.js'
import { stationDocument } from './lib/station-traffic.js'
import { createCpuPinning } from './lib/cpu-pinning.js'
import { describeHostSpeed } from './lib/host-speed.js'

const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const durationS = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const warmupS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2)
const sliceMs = Number(process.env.BENCH_SLICE_MS ?? 500)
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
// Row names may contain commas ("hmac (pre-signed, no nonce)"): a value naming one row is taken
// whole, and `;` separates names when any contains a comma.
const onlyRaw = process.env.BENCH_ONLY?.trim()
const only = onlyRaw === undefined ? undefined : [onlyRaw, ...onlyRaw.split(onlyRaw.includes(';') ? ';' : ',').map((s) => s.trim()).filter(Boolean)]

const GET_PATH = '/v1/stations/stn_1'
const POST_PATH = '/v1/stations'
const POST_BODY = oneKibJson()
const ROLES = { user: {} }

/** A gateway child process and what was provisioned on it. */
interface TargetSpec {
  policies: unknown[]
  redis?: boolean
  /** Runs once after start: creates credentials through the admin API. */
  provision?: (admin: BenchAdmin, target: Target) => Promise<Record<string, string>>
}

/** A request mix against one target: built before each run (tokens may need refreshing). */
interface Scenario {
  name: string
  target: string
  baseline?: string
  goal?: Goal
  load: (target: Target, creds: Record<string, string>) => Promise<Omit<LoadOptions, 'connections' | 'durationS'> & { path: string }>
}

const userConsumer = (admin: BenchAdmin) => admin.createConsumer({ name: 'bench consumer', roles: ['user'] })
const TARGETS: Record<string, TargetSpec> = {
  none: { policies: [], provision: provisionHmac },
  // The same no-policy route under another name: the A/A control of the method.
  'none twin': { policies: [] },
  'api-key': { policies: [{ name: 'api-key' }], provision: provisionKey },
  'api-key+acl': {
    policies: [{ name: 'api-key' }, { name: 'access-control', config: { roles: ROLES, rules: [{ roles: ['user'] }] } }],
    provision: provisionKey,
  },
  'rate-limit memory': { policies: [rateLimit()] },
  'rate-limit redis': { policies: [rateLimit()], redis: true },
  'none redis': { policies: [], redis: true },
  oauth: {
    policies: [{ name: 'oauth', config: { local: true } }],
    provision: async (admin) => {
      const client = await admin.createClient({ name: 'bench client', scopes: ['stations:read'], consumerId: await userConsumer(admin) })
      return { clientId: client.clientId, clientSecret: client.clientSecret }
    },
  },
  'injection-guard': { policies: [{ name: 'injection-guard', config: { paranoia: 1 } }] },
  hmac: { policies: [{ name: 'hmac' }], provision: provisionHmac },
  'hmac no-nonce': { policies: [{ name: 'hmac', config: { requireNonce: false, maxAgeMs: '1h' } }], provision: provisionHmac },
}

/** A target key as a route prefix. */
const slug = (key: string): string => key.replace(/\W+/g, '-')
const get = async () => ({ path: GET_PATH })
const post = async () => ({ path: POST_PATH, method: 'POST', body: POST_BODY, headers: { 'content-type': 'application/json' } })
/** Typical traffic for the guard: same keys and shape, new ids and free text in every request. */
const postVaried = async () => {
  let seq = 0
  const setupRequest = (req: autocannon.Request): autocannon.Request => {
    req.body = stationDocument(++seq)
    return req
  }
  return { ...(await post()), body: stationDocument(0), setupRequest }
}
const SCENARIOS: Scenario[] = [
  { name: 'baseline GET (no policies)', target: 'none', load: get },
  // No goal: an identical route must come out at ~100%; how far it strays is the method's error.
  { name: 'A/A control (an identical no-policy route)', target: 'none twin', baseline: 'baseline GET (no policies)', load: get },
  { name: 'api-key', target: 'api-key', baseline: 'baseline GET (no policies)', goal: { kind: 'cost', pct: 3 }, load: withKey },
  { name: 'api-key + access-control', target: 'api-key+acl', baseline: 'api-key', goal: { kind: 'cost', pct: 2 }, load: withKey },
  { name: 'rate-limit (memory)', target: 'rate-limit memory', baseline: 'baseline GET (no policies)', goal: { kind: 'cost', pct: 3 }, load: get },
  // The Redis store is process-wide: this gateway has its own baseline route.
  { name: 'baseline GET, Redis-state gateway (no policies)', target: 'none redis', load: get },
  { name: 'rate-limit (redis)', target: 'rate-limit redis', baseline: 'baseline GET, Redis-state gateway (no policies)', goal: { kind: 'cost', pct: 15 }, load: get },
  // The same bearer header without the policy: what carrying a ~500-byte token through the proxy
  // costs (parsing, forwarding, logging), so the next row isolates what verifying it costs.
  { name: 'baseline GET + bearer header (no policies)', target: 'none', load: async () => ({ path: GET_PATH, headers: { authorization: `Bearer ${await oauthToken()}` } }) },
  {
    name: 'oauth (local token)',
    target: 'oauth',
    baseline: 'baseline GET + bearer header (no policies)',
    goal: { kind: 'cost', pct: 5 },
    load: async () => ({ path: GET_PATH, headers: { authorization: `Bearer ${await oauthToken()}` } }),
  },
  { name: 'baseline POST 1 KiB (no policies)', target: 'none', load: post },
  { name: 'baseline POST 1 KiB varied text', target: 'none', load: postVaried },
  { name: 'injection-guard PL1 (POST 1 KiB varied text)', target: 'injection-guard', baseline: 'baseline POST 1 KiB varied text', goal: { kind: 'ratio', pct: 80 }, load: postVaried },
  { name: 'baseline POST 1 KiB, client signs', target: 'none', load: (t, c) => signedPost(t, c, true) },
  { name: 'hmac (per-request signing)', target: 'hmac', baseline: 'baseline POST 1 KiB, client signs', goal: { kind: 'cost', pct: 10 }, load: (t, c) => signedPost(t, c, true) },
  { name: 'hmac (pre-signed, no nonce)', target: 'hmac no-nonce', baseline: 'baseline POST 1 KiB (no policies)', goal: { kind: 'cost', pct: 10 }, load: (t, c) => signedPost(t, c, false) },
]

// ---------------------------------------------------------------------------------------------

if (only && !SCENARIOS.some((s) => s.name === onlyRaw)) {
  // A name that matches no row would silently measure less than asked (a comma inside a name
  // splits it when `,` separates the list): refuse, and say what the rows are called.
  const unknown = only.slice(1).filter((name) => !SCENARIOS.some((s) => s.name === name))
  if (unknown.length > 0) {
    console.error(`BENCH_ONLY names no row: ${unknown.map((n) => JSON.stringify(n)).join(', ')}. Rows (separate with ';' when a name holds a comma):\n${SCENARIOS.map((s) => `  ${s.name}`).join('\n')}`)
    process.exit(2)
  }
}
const selected = SCENARIOS.filter((s) => !only || only.includes(s.name) || SCENARIOS.some((o) => only.includes(o.name) && o.baseline === s.name))
const redisCounter: RedisCounter | undefined = await createRedisCounter(redisUrl).catch((error: unknown) => {
  process.stderr.write(`WARNING: Redis unreachable at ${redisUrl} (${(error as Error).message}); the redis row is skipped\n`)
  return undefined
})
const scenarios = selected.filter((s) => !TARGETS[s.target]!.redis || redisCounter)
const adminToken = `pcla_bench_${randomBytes(16).toString('hex')}`
const homeRoot = await mkdtemp(join(tmpdir(), 'portcullis-bench-policies-'))
const keyPrefix = `bench:policies:${randomBytes(6).toString('hex')}:`
const pinning = createCpuPinning()
// Before any target starts, so nothing else competes for the core.
const hostSpeed = describeHostSpeed()
pinning.pinDriver(process.pid)
const upstream = await startTarget('upstream.mjs')
pinning.pinDriver(upstream.child.pid!)
/** Target key → the route serving it (its URL carries the route's prefix), the process root and credentials. */
const started = new Map<string, { target: Target; root: Target; creds: Record<string, string> }>()
/** Per scenario: what its slices measured, summed over rounds (a baseline over all its rows). */
const sides = new Map<string, SideTotals>()
/** Per row with a baseline: per-pair ratios to the baseline slices around it (req/s, CPU per request). */
const pairs = new Map<string, { rps: number[]; cpu: number[] }>()
const redisTrips: { server: Map<string, number>; client: number; requests: number }[] = []
let signCostUs = 0
const readCpuMs = createCpuReader()
/** Redis server CPU during the Redis rows (when the server runs on this machine). */
const redisCpu = { cpuMs: 0, requests: 0 }
const redisPid = await redisCounter?.serverPid().catch(() => undefined)
const byName = new Map(scenarios.map((s) => [s.name, s]))
/** The busiest measured window of the load generator + upstream (a share of one core). */
const driverBusiest = { share: 0, row: '' }

try {
  // One process per state store, one route per target: a row and its baseline share a process.
  for (const redis of [false, true]) {
    const keys = [...new Set(scenarios.map((s) => s.target))].filter((k) => Boolean(TARGETS[k]!.redis) === redis)
    if (keys.length === 0) continue
    const routes = keys.map((k) => ({ name: slug(k), path: `/${slug(k)}/*`, policies: TARGETS[k]!.policies }))
    const args = [upstream.url, JSON.stringify({ routes }), ...(redis ? [redisUrl, keyPrefix] : [])]
    const root = await startTarget('policy-gateway.mjs', args, { env: { BENCH_ADMIN_TOKEN: adminToken, BENCH_HOME: join(homeRoot, redis ? 'redis' : 'memory') } })
    pinning.pinTarget(root.child.pid!)
    for (const k of keys) {
      const creds = (await TARGETS[k]!.provision?.(benchAdmin(root.adminUrl!, adminToken), root)) ?? {}
      started.set(k, { target: { ...root, url: `${root.url}/${slug(k)}` }, root, creds })
    }
  }
  // Only when a signing row runs (BENCH_ONLY may leave none).
  const signingCreds = started.get('hmac')?.creds ?? started.get('none')?.creds
  if (signingCreds?.keyId !== undefined) signCostUs = measureSigningCostUs(signingCreds)
  for (const s of scenarios) await smokeCheck(s)
  for (let round = 0; round < rounds; round++) {
    for (const s of scenarios) if (s.baseline) await measurePair(byName.get(s.baseline)!, s, round)
  }
} finally {
  for (const root of new Set([...started.values()].map((e) => e.root))) root.stop()
  upstream.stop()
  await redisCounter?.deleteKeys(`${keyPrefix}*`).catch(() => undefined)
  await redisCounter?.close()
  await rm(homeRoot, { recursive: true, force: true })
}

const rows: ComparedRow[] = scenarios.map((s) => {
  const t = sides.get(s.name) ?? emptyTotals()
  const paired = pairs.get(s.name)
  return {
    name: s.name,
    rps: t.ms > 0 ? (t.responses * 1000) / t.ms : 0,
    p50Ms: t.latenciesMs.length > 0 ? quantile(t.latenciesMs, 0.5) : 0,
    p99Ms: t.latenciesMs.length > 0 ? quantile(t.latenciesMs, 0.99) : 0,
    errors: t.errors,
    non2xx: t.non2xx,
    total: t.responses,
    baseline: s.baseline,
    goal: s.goal,
    ...(t.cpuResponses > 0 ? { cpuUsPerRequest: (t.cpuMs * 1000) / t.cpuResponses } : {}),
    ...(paired && paired.rps.length > 0
      ? { paired: { ratio: quantile(paired.rps, 0.5) * 100, min: quantile(paired.rps, 0.1) * 100, max: quantile(paired.rps, 0.9) * 100 } }
      : {}),
    ...(paired && paired.cpu.length > 0 ? { pairedCpuRatio: quantile(paired.cpu, 0.5) * 100 } : {}),
  }
})
const out: string[] = [
  `\n${new Date().toISOString()} — ${connections} connections, ${rounds} rounds; each row alternates with its baseline every ${sliceMs} ms for ${durationS}s after ${warmupS}s of warm-up; ${cpuLine()}`,
  `GET: small JSON; POST: ${Buffer.byteLength(POST_BODY)}-byte JSON body; upstream answers the same small JSON`,
  '',
  comparisonTable(rows),
  '',
  'Goals and verdicts use req/s: "req/s vs baseline" is the median over all pairs of the row\'s req/s in one slice divided by the mean of its baseline\'s in the slices just before and after (10th–90th percentile of the pairs in parentheses). ' +
    '"gateway CPU µs/req" is the gateway process\'s user+system CPU per completed request (from /proc, 10 ms ticks) over the row\'s slices; "CPU vs baseline" is the median of the same per-pair ratios (> 100% = the policy adds that much CPU).',
]
if (redisTrips.length > 0) {
  const requests = redisTrips.reduce((n, t) => n + t.requests, 0)
  const client = redisTrips.reduce((n, t) => n + t.client, 0)
  const server = new Map<string, number>()
  for (const t of redisTrips) for (const [name, n] of t.server) server.set(name, (server.get(name) ?? 0) + n)
  const serverTotal = [...server.values()].reduce((a, b) => a + b, 0)
  const breakdown = [...server].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${(n / requests).toFixed(2)}`).join(', ')
  out.push(
    `Redis round trips per request (rate-limit redis): ${(client / requests).toFixed(3)}, counted by the gateway's own ioredis client ` +
      `(commands sent in the measured window / requests completed; the requests still in flight at the end make it read slightly high).`,
    `INFO commandstats delta per request: ${(serverTotal / requests).toFixed(2)} (${breakdown}) — server-wide, and Redis also counts the commands a Lua script runs, so this is work, not round trips.`,
  )
  if (redisCpu.requests > 0) {
    out.push(
      `Redis server CPU per request (rate-limit redis, /proc of the server at ${redisUrl}; it shares this machine's cores): ${((redisCpu.cpuMs * 1000) / redisCpu.requests).toFixed(1)} µs — ` +
        'not in the gateway column, but part of what the row\'s req/s pays for.',
    )
  }
}
const signedRow = rows.find((r) => r.name === 'hmac (per-request signing)')
const postBase = rows.find((r) => r.name === 'baseline POST 1 KiB (no policies)')
if (signedRow && postBase) {
  out.push(
    `Client-side signing (setupRequest, in the load-generator process): ${signCostUs.toFixed(1)} µs per request; at ${signedRow.rps.toFixed(0)} req/s that is ` +
      `${((signedRow.rps * signCostUs) / 1e4).toFixed(1)}% of one core on a ${cpuCount()}-core machine. ` +
      `"hmac (per-request signing)" vs the unsigned baseline POST: ${((signedRow.rps / postBase.rps) * 100).toFixed(1)}% (gateway + client cost together).`,
  )
}
out.push(
  `Load generator + upstream, busiest window: ${(driverBusiest.share * 100).toFixed(0)}% of one core ("${driverBusiest.row}")` +
    (pinning.active && driverBusiest.share > 0.9 ? ' — WARNING: their core was nearly full, so that window may measure the load generator, not the gateway.' : '.'),
)
out.push(...invalidRowWarnings(rows))
process.stdout.write(out.join('\n') + '\n')

// ---------------------------------------------------------------------------------------------

interface SideTotals {
  ms: number
  responses: number
  cpuMs: number
  /** Responses in slices whose CPU was read. */
  cpuResponses: number
  latenciesMs: number[]
  errors: number
  non2xx: number
}

function emptyTotals(): SideTotals {
  return { ms: 0, responses: 0, cpuMs: 0, cpuResponses: 0, latenciesMs: [], errors: 0, non2xx: 0 }
}

/** A scenario's request as an alternating side: its path carries the route's prefix. */
async function sideOf(s: Scenario): Promise<Side> {
  const { target, creds } = started.get(s.target)!
  const { path, ...options } = await s.load(target, creds)
  return { ...options, path: `${new URL(target.url).pathname}${path}` }
}

/** One round of a row against its baseline: alternating slices on the same connections. */
async function measurePair(base: Scenario, row: Scenario, round: number): Promise<void> {
  const root = started.get(row.target)!.root
  const counting = TARGETS[row.target]!.redis && redisCounter
  const before = counting ? await redisSnapshot(row) : undefined
  const redisBefore = counting && redisPid !== undefined ? readCpuMs(redisPid) : undefined
  const driverBefore = driverCpuMs()
  const start = performance.now()
  const pid = root.child.pid!
  const result = await runAlternating(root.url, [await sideOf(base), await sideOf(row)], {
    connections,
    durationS,
    warmupS,
    sliceMs,
    readCpuMs: () => readCpuMs(pid),
  })
  const driverBusy = (driverCpuMs() - driverBefore) / (performance.now() - start)
  if (driverBusy > driverBusiest.share) Object.assign(driverBusiest, { share: driverBusy, row: row.name })
  for (const side of [0, 1] as const) {
    const name = side === 0 ? base.name : row.name
    const t = sides.get(name) ?? emptyTotals()
    for (const slice of result.slices.filter((x) => x.side === side)) {
      t.ms += slice.ms
      t.responses += slice.responses
      if (slice.cpuMs !== undefined) {
        t.cpuMs += slice.cpuMs
        t.cpuResponses += slice.responses
      }
      for (const l of slice.latenciesMs) t.latenciesMs.push(l)
    }
    // Failures are not attributed to a side: both rows of the pair become invalid.
    t.errors += result.errors
    t.non2xx += result.non2xx
    sides.set(name, t)
  }
  const ratios = pairRatios(result.slices)
  const p = pairs.get(row.name) ?? { rps: [], cpu: [] }
  p.rps.push(...ratios.rps)
  p.cpu.push(...ratios.cpu)
  pairs.set(row.name, p)
  // Redis counters span the whole run, warm-up included, and only row requests use Redis.
  const rowResponses = result.responsesBySide[1]
  if (redisBefore !== undefined) {
    const redisAfter = readCpuMs(redisPid!)
    if (redisAfter !== undefined) {
      redisCpu.cpuMs += redisAfter - redisBefore
      redisCpu.requests += rowResponses
    }
  }
  if (counting && before) {
    const after = await redisSnapshot(row)
    redisTrips.push({ server: diffCalls(before.server, after.server), client: after.client - before.client, requests: rowResponses })
  }
  const median = ratios.rps.length > 0 ? quantile(ratios.rps, 0.5) : NaN
  process.stderr.write(`round ${round + 1}/${rounds} ${row.name}: ${(median * 100).toFixed(1)}% of "${base.name}" (median of ${ratios.rps.length} pairs), non-2xx ${result.non2xx}, errors ${result.errors}\n`)
}

/** One request by hand before any load, so a misconfigured row fails loudly with its status. */
async function smokeCheck(s: Scenario): Promise<void> {
  const { target, creds } = started.get(s.target)!
  const { path, setupRequest, ...options } = await s.load(target, creds)
  let headers = { ...options.headers }
  if (setupRequest) headers = { ...headers, ...(setupRequest({ method: 'POST', path, headers, body: options.body }).headers as Record<string, string>) }
  const res = await request(`${target.url}${path}`, { method: (options.method ?? 'GET') as 'GET', headers, body: options.body })
  const text = await res.body.text()
  if (res.statusCode >= 300) process.stderr.write(`WARNING: smoke request for "${s.name}" answered ${res.statusCode}: ${text.slice(0, 300)}\n`)
}

async function redisSnapshot(s: Scenario): Promise<{ server: Map<string, number>; client: number }> {
  const { root } = started.get(s.target)!
  const [server, stats] = await Promise.all([redisCounter!.commandCalls(), benchAdmin(root.adminUrl!, adminToken).get<{ redisCommands: number }>('/bench/stats')])
  return { server, client: stats.redisCommands }
}

/** A fresh access token from the oauth target's own authorization server. */
async function oauthToken(): Promise<string> {
  const oauth = started.get('oauth')
  if (!oauth) throw new Error('the oauth target is not running')
  return fetchClientCredentialsToken(oauth.root.url, { clientId: oauth.creds.clientId!, clientSecret: oauth.creds.clientSecret! }, 'stations:read')
}

async function withKey(_t: Target, creds: Record<string, string>) {
  return { path: GET_PATH, headers: { 'x-api-key': creds.apiKey! } }
}

async function provisionKey(admin: BenchAdmin): Promise<Record<string, string>> {
  return { apiKey: await admin.createApiKey(await userConsumer(admin)) }
}

async function provisionHmac(admin: BenchAdmin): Promise<Record<string, string>> {
  const credential = await admin.createHmacCredential(await userConsumer(admin))
  return { keyId: credential.keyId, secret: credential.secret }
}

/** A signed 1 KiB POST: re-signed per request (fresh nonce) or signed once without a nonce. */
async function signedPost(target: Target, creds: Record<string, string>, perRequest: boolean) {
  const host = new URL(target.url).host
  const headers: Record<string, string> = { host, 'content-type': 'application/json' }
  const sign = (nonce?: false) =>
    signRequestHeaders({ keyId: creds.keyId!, secret: creds.secret!, method: 'POST', url: `${target.url}${POST_PATH}`, headers, body: POST_BODY, ...(nonce === false ? { nonce } : {}) })
  if (!perRequest) return { path: POST_PATH, method: 'POST', body: POST_BODY, headers: { ...headers, ...sign(false) } }
  const setupRequest = (req: autocannon.Request): autocannon.Request => {
    req.headers = { ...headers, ...sign() }
    return req
  }
  return { path: POST_PATH, method: 'POST', body: POST_BODY, headers, setupRequest }
}

/** Microseconds one `signRequestHeaders` call costs here (the per-request client overhead). */
function measureSigningCostUs(creds: Record<string, string>): number {
  const headers = { host: '127.0.0.1:1', 'content-type': 'application/json' }
  const once = () => signRequestHeaders({ keyId: creds.keyId!, secret: creds.secret!, method: 'POST', url: `http://127.0.0.1:1${POST_PATH}`, headers, body: POST_BODY })
  for (let i = 0; i < 2_000; i++) once()
  const n = 20_000
  const start = performance.now()
  for (let i = 0; i < n; i++) once()
  return ((performance.now() - start) * 1000) / n
}

function rateLimit() {
  // Per client IP, far above what one machine can send: measures the bookkeeping, never a 429.
  return { name: 'rate-limit', config: { limits: [{ name: 'bench', key: ['ip'], limit: 1_000_000, window: '1s' }] } }
}

/** A realistic, benign ~1 KiB JSON document (what a PL1 guard should let through). */
function oneKibJson(): string {
  const doc = {
    id: 'stn_1042',
    name: 'Zugspitze summit weather station',
    operator: 'Deutscher Wetterdienst',
    location: { lat: 47.4211, lon: 10.9853, elevationM: 2962, country: 'DE', region: 'Bavaria' },
    sensors: ['temperature', 'humidity', 'pressure', 'wind-speed', 'wind-direction', 'precipitation', 'snow-depth'],
    installedAt: '2019-06-14T08:30:00Z',
    maintenance: { lastVisit: '2024-09-02', nextVisit: '2025-03-15', contact: 'field-team@example.org', notes: 'Replace the anemometer bearings; check the heated rain gauge before winter.' },
    tags: ['alpine', 'reference', 'synop', 'high-altitude'],
    description: '',
  }
  const base = JSON.stringify(doc)
  doc.description = 'Automatic station on the summit ridge, reporting every ten minutes. '.repeat(20).slice(0, 1024 - base.length)
  return JSON.stringify(doc)
}

/** The q-quantile (0..1) of `values`, linearly interpolated. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo)
}

/** CPU ms used so far by the load generator (this process) and the upstream. */
function driverCpuMs(): number {
  const self = process.cpuUsage()
  return (self.user + self.system) / 1000 + (readCpuMs(upstream.child.pid!) ?? 0)
}

function cpuCount(): number {
  return cpus().length
}

function cpuLine(): string {
  return `${cpuCount()} CPUs, Node ${process.version}; ${pinning.describe()}; ${hostSpeed}`
}
