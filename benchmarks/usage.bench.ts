/**
 * `npm run bench:usage`: does the usage writer keep up with the gateway's peak rate? An api-key
 * route under full load for BENCH_SECONDS (default 60): gateway RSS before and after, and the
 * usage total the admin API reports against the requests autocannon completed.
 */
import { readFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTarget } from './lib/targets.js'
import { runLoad } from './lib/load.js'
import { benchAdmin } from './lib/provision.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 60)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const token = 'pcla_bench_usage_token_0123456789abcdef'

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024
}

const upstream = await startTarget('upstream.mjs')
const gateway = await startTarget('policy-gateway.mjs', [upstream.url, JSON.stringify([{ name: 'api-key' }])], {
  env: { BENCH_ADMIN_TOKEN: token, BENCH_HOME: mkdtempSync(join(tmpdir(), 'portcullis-bench-')) },
})
try {
  const admin = benchAdmin(gateway.adminUrl!, token)
  const consumer = await admin.createConsumer({ name: 'usage bench' })
  const key = await admin.createApiKey(consumer)
  const keyId = (await admin.get<{ items: { id: string }[] }>(`/admin/consumers/${consumer}/keys`)).items[0]!.id
  const headers = { 'x-api-key': key }
  const warm = await runLoad('warm-up', `${gateway.url}/v1/stations/stn_1`, { connections, durationS: 5, headers })
  const pid = gateway.child.pid!
  const before = rssMiB(pid)
  // The load runs in three equal segments with RSS read between them: a leak keeps climbing,
  // a heap settling at its working size does not.
  const samples: number[] = []
  const segments = []
  for (let i = 0; i < 3; i++) {
    segments.push(await runLoad('load', `${gateway.url}/v1/stations/stn_1`, { connections, durationS: Math.round(seconds / 3), headers }))
    samples.push(rssMiB(pid))
  }
  const after = samples.at(-1)!
  const load = { rps: segments.reduce((n, s) => n + s.rps, 0) / 3, total: segments.reduce((n, s) => n + (s.total ?? 0), 0), non2xx: segments.reduce((n, s) => n + s.non2xx, 0) }
  const usage = await admin.get<{ total: number }>(`/admin/usage?key=${keyId}&granularity=day`)
  const sent = (warm.total ?? 0) + (load.total ?? 0)
  process.stdout.write(
    `${new Date().toISOString()} — api-key route, ${connections} connections, ${seconds}s\n` +
      `requests/s ${load.rps.toFixed(0)}, completed ${sent} (incl. 5 s warm-up), usage total ${usage.total}, non-2xx ${load.non2xx + warm.non2xx}\n` +
      `gateway RSS before ${before.toFixed(1)} MiB, after each third ${samples.map((m) => m.toFixed(1)).join(' / ')} MiB (${(after - before >= 0 ? '+' : '') + (after - before).toFixed(1)} MiB overall)\n`,
  )
} finally {
  gateway.stop()
  upstream.stop()
}
