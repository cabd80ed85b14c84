// Plain JavaScript on purpose: the gateway under test is the compiled dist/ (run `npm run build`),
// loaded by plain node — not through tsx, whose transform wraps every closure (keepNames) and
// would bill that cost to the gateway.
/**
 * The gateway under the policy-cost benchmark, access logging on (to /dev/null) as in production.
 * Its routes come as JSON: either one route `/*` running a list of policies (same shape as a
 * config file's route `policies`), or `{"routes": [{"name", "path", "policies"}, ...]}` — several
 * routes in one process, so a policy and its baseline are measured in the same process.
 * Credentials are provisioned afterwards through its admin API.
 *
 * argv: <upstream url> <routes JSON> [state: memory | redis://...] [redis key prefix]
 * env: BENCH_ADMIN_TOKEN (admin bearer token), BENCH_HOME (gateway home: secret key, signing keys).
 * stdout: `READY <gateway url> <admin url>`.
 *
 * With Redis state it counts the commands its own client sends and serves the count at
 * `GET /bench/stats` on the admin listener, so round trips per request are exact even when other
 * clients share the Redis server (INFO commandstats is server-wide).
 */
import { pino } from 'pino'
import { createLogger } from '../../dist/observe/logger.js'
import { createGateway } from '../../dist/gateway.js'
import { validateConfigObject, formatIssues } from '../../dist/config/load.js'
import { createRegistry } from '../../dist/policies/registry.js'
import { openDataStore } from '../../dist/store/data/open.js'
import { createMemoryStateStore } from '../../dist/store/state/memory.js'
import { createRedisStateStore } from '../../dist/store/state/redis.js'
import { createResilientStateStore } from '../../dist/store/state/resilient.js'

const [upstreamUrl, routesJson = '[]', stateUrl = 'memory', keyPrefix = 'bench:'] = process.argv.slice(2)
const adminToken = process.env.BENCH_ADMIN_TOKEN
const home = process.env.BENCH_HOME
if (!upstreamUrl || !adminToken || !home) throw new Error('usage: policy-gateway.mjs <upstream> <routes JSON> [state] [prefix]; env BENCH_ADMIN_TOKEN, BENCH_HOME')
const parsed = JSON.parse(routesJson)
const routes = (Array.isArray(parsed) ? [{ name: 'bench', path: '/*', policies: parsed }] : parsed.routes).map((r) => ({
  name: r.name,
  match: { path: r.path },
  upstream: 'app',
  policies: r.policies,
}))

const registry = createRegistry()
const result = validateConfigObject(
  {
    listen: { http: { host: '127.0.0.1', port: 0 } },
    admin: { host: '127.0.0.1', port: 0 },
    storage: { state: 'memory', data: 'sqlite::memory:' },
    // Ports are ephemeral, so the local issuer cannot be derived from them: name it.
    oauth: { issuer: 'http://gateway.bench' },
    upstreams: { app: { url: upstreamUrl, connections: 128 } },
    routes,
  },
  registry,
)
if (!result.ok) throw new Error(formatIssues(result.errors))

let redisCommands = 0
let state
if (stateUrl === 'memory') {
  state = createMemoryStateStore()
} else {
  const redis = await createRedisStateStore(stateUrl, { keyPrefix })
  // Every ioredis command goes through sendCommand once. The state store sends one EVALSHA per
  // event-loop turn for all rate-limit checks of that turn and auto-pipelines the rest, so this
  // counts commands: at most the round trips.
  const send = redis.client.sendCommand.bind(redis.client)
  redis.client.sendCommand = ((...args) => {
    redisCommands++
    return send(...args)
  })
  state = createResilientStateStore(redis)
}
const data = await openDataStore('sqlite::memory:')
// The production logger (redaction, timestamps, buffered async writes), writing to /dev/null.
const logger = createLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) })
const gateway = await createGateway({
  config: result.config,
  registry,
  logger,
  home,
  stores: { state, data },
  adminTokens: [{ name: 'bench', token: adminToken }],
})
const statsRoute = {
  method: 'GET',
  path: '/bench/stats',
  role: 'viewer',
  handle({ res }) {
    const body = JSON.stringify({ redisCommands })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  },
}
gateway.adminRoutes.push(statsRoute)
await gateway.start()
process.stdout.write(`READY ${gateway.url} ${gateway.adminUrl}\n`)
process.on('SIGINT', () => process.exit(0)) // lets --cpu-prof write its profile
