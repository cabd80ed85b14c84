/**
 * Detection benchmark for the `injection-guard` policy: replays the shared OWASP CRS regression
 * corpus (../shared/corpora) and Portcullis's own corpora (corpora/) and prints the true-positive
 * rate per attack type and overall, the true-negative rate on the benign corpus and balanced
 * accuracy, per paranoia level.
 *
 *   npm run bench:detection                       through a real gateway started here (route `/*` to
 *                                                 an echo upstream, injection-guard at each PL), PL 1-4
 *   npm run bench:detection -- --pl 1,2           selected levels
 *   npm run bench:detection -- --in-process       the guard alone, no sockets (quick iterations)
 *   npm run bench:detection -- --url http://127.0.0.1:8080 --pl 1
 *       against a gateway you run (configured at that PL)
 *   ... --misses sqli                             also list the missed case ids of one type
 *                                                 (`--missed`: every type)
 * Over sockets a case counts as blocked when the answer is 403 with code ERR_ATTACK_DETECTED;
 * `raw_b64` cases are sent byte-for-byte.
 *
 * CRS "benign" cases only mean "this one rule must not fire" (near-misses), so they are reported
 * as a near-miss block rate, never as a false-positive measure; TNR comes from corpora/benign-api.jsonl.
 * `phase: response` cases are skipped (they need CRS's reflecting backend).
 */
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { createInjectionGuard } from '../src/policies/injection-guard/injection-guard.js'
import { resolveInjectionGuardConfig } from '../src/policies/injection-guard/schema.js'
import { echoHandler, simpleConfig, startGateway, startUpstream } from '../test/helpers/gateway.js'
import { loadCorpora, OWN_CORPORA, requestParts, SHARED_CRS_CORPUS, type CorpusCase } from '../test/helpers/corpora.js'

/** Families the issue sets targets for, mapped from CRS types. */
const GROUPS: Record<string, string> = { sqli: 'SQL injection', rce: 'command injection', php: 'code injection', java: 'code injection', generic: 'code injection' }

/** Decides one case: true when the request is blocked. */
type Judge = (c: CorpusCase) => Promise<boolean>
/** Replays at most this many requests at once over sockets. */
const SOCKET_CONCURRENCY = 8

function inProcessJudge(paranoia: number): { judge: Judge; close: () => void } {
  const guard = createInjectionGuard(resolveInjectionGuardConfig({ paranoia }))
  return {
    judge: async (c) => guard.inspect(requestParts(c)).block,
    close: () => guard.close(),
  }
}

/** Sends bytes on a fresh connection and returns the raw response (the server closes it). */
function sendRaw(url: URL, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 80) })
    const chunks: Buffer[] = []
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')))
    socket.on('connect', () => socket.end(bytes))
    socket.on('data', (d) => chunks.push(d))
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', (e) => (chunks.length ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(e)))
  })
}

function serialize(c: CorpusCase, url: URL): Buffer {
  if (c.raw) return c.raw
  const lines = [`${c.method} ${c.uri} HTTP/1.1`]
  const headers = { ...c.headers, host: url.host, connection: 'close', 'content-length': String(c.body.length) }
  delete (headers as Record<string, string | undefined>)['transfer-encoding']
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), c.body])
}

function gatewayJudge(url: URL): Judge {
  return async (c) => {
    const response = await sendRaw(url, serialize(c, url)).catch(() => '')
    return / 403 /.test(response.slice(0, 16)) && response.includes('ERR_ATTACK_DETECTED')
  }
}

function pct(n: number, d: number): string {
  return d === 0 ? '   n/a' : `${((100 * n) / d).toFixed(1).padStart(5)}%`
}

async function evaluate(cases: CorpusCase[], judge: Judge, pl: number): Promise<void> {
  const perType = new Map<string, { tp: number; n: number }>()
  const perGroup = new Map<string, { tp: number; n: number }>()
  let tp = 0, attacks = 0, tn = 0, benign = 0, nearBlocked = 0, near = 0
  const missed: string[] = []
  const falsePositives: string[] = []
  const selected = cases.filter((c) => c.phase === 'request' && (c.expect === 'benign' || c.pl === null || c.pl <= pl))
  const verdicts = await judgeAll(selected, judge)
  for (const [i, c] of selected.entries()) {
    const isOwnBenign = c.expect === 'benign' && c.source !== 'crs'
    const blocked = verdicts[i]!
    if (c.expect === 'attack') {
      const key = `${c.source}:${c.type}`
      const t = perType.get(key) ?? { tp: 0, n: 0 }
      t.n++
      if (blocked) t.tp++
      else if (missed.length < 5000) missed.push(`${key} ${c.id}`)
      perType.set(key, t)
      const group = c.source === 'crs' ? GROUPS[c.type] : undefined
      if (group) {
        const g = perGroup.get(group) ?? { tp: 0, n: 0 }
        g.n++
        if (blocked) g.tp++
        perGroup.set(group, g)
      }
      attacks++
      if (blocked) tp++
    } else if (isOwnBenign) {
      benign++
      if (!blocked) tn++
      else falsePositives.push(c.id)
    } else {
      near++
      if (blocked) nearBlocked++
    }
  }
  const tpr = attacks ? tp / attacks : 0
  const tnr = benign ? tn / benign : 0
  console.log(`\n=== paranoia level ${pl} ===`)
  for (const [key, t] of [...perType].sort()) console.log(`  TPR ${key.padEnd(28)} ${pct(t.tp, t.n)}  (${t.tp}/${t.n})`)
  for (const [group, g] of [...perGroup].sort()) console.log(`  TPR CRS ${group.padEnd(24)} ${pct(g.tp, g.n)}  (${g.tp}/${g.n})`)
  console.log(`  TPR overall                      ${pct(tp, attacks)}  (${tp}/${attacks})`)
  console.log(`  TNR benign corpus                ${pct(tn, benign)}  (${tn}/${benign})${falsePositives.length ? '  blocked: ' + falsePositives.slice(0, 20).join(', ') : ''}`)
  console.log(`  balanced accuracy                ${((100 * (tpr + tnr)) / 2).toFixed(1)}%`)
  console.log(`  CRS near-miss ("benign") cases blocked ${pct(nearBlocked, near)}  (${nearBlocked}/${near}) — not a false-positive measure`)
  const only = process.argv.includes('--misses') ? process.argv[process.argv.indexOf('--misses') + 1] : undefined
  if (process.argv.includes('--missed') || only) {
    const listed = only ? missed.filter((m) => m.startsWith(`crs:${only} `) || m.startsWith(`own:${only} `)) : missed
    console.log(listed.join('\n'))
  }
}

/** Judges every case, a few at a time (in order of the input). */
async function judgeAll(cases: readonly CorpusCase[], judge: Judge): Promise<boolean[]> {
  const verdicts = new Array<boolean>(cases.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++
      verdicts[i] = await judge(cases[i]!)
    }
  }
  await Promise.all(Array.from({ length: SOCKET_CONCURRENCY }, worker))
  return verdicts
}

/** Starts an echo upstream and a gateway with injection-guard at `paranoia` on every path. */
async function startBenchGateway(paranoia: number): Promise<{ url: URL; stop: () => Promise<void> }> {
  const upstream = await startUpstream(echoHandler)
  const policies = [{ name: 'injection-guard', config: { paranoia } }]
  const gateway = await startGateway(simpleConfig(upstream.url, { policies }))
  return {
    url: new URL(gateway.url),
    stop: async () => {
      await gateway.stop()
      await upstream.close()
    },
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const levels = (arg('--pl') ?? '1,2,3,4').split(',').map(Number)
  if (!existsSync(SHARED_CRS_CORPUS)) console.warn(`shared corpus not found at ${SHARED_CRS_CORPUS}; skipping it`)
  const cases: CorpusCase[] = loadCorpora([SHARED_CRS_CORPUS, ...OWN_CORPORA])
  const url = arg('--url')
  const inProcess = args.includes('--in-process')
  console.log(`${cases.length} cases; mode: ${url ? `gateway ${url}` : inProcess ? 'in-process' : 'gateway started here (echo upstream)'}`)
  for (const pl of levels) {
    if (url) await evaluate(cases, gatewayJudge(new URL(url)), pl)
    else if (inProcess) {
      const { judge, close } = inProcessJudge(pl)
      await evaluate(cases, judge, pl)
      close()
    } else {
      const gateway = await startBenchGateway(pl)
      try {
        await evaluate(cases, gatewayJudge(gateway.url), pl)
      } finally {
        await gateway.stop()
      }
    }
  }
}

await main()
