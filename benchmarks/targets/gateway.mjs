// Plain JavaScript on purpose: the gateway under test is the compiled dist/ (run `npm run build`),
// loaded by plain node — not through tsx, whose transform wraps every closure (keepNames) and
// would bill that cost to the gateway.
/**
 * The gateway under benchmark, configured by a scenario name: `plain` (no policies) or `edge`
 * (ip-filter + request-size, the issue's target). Access logging stays on, as in production.
 * argv: <upstream url> <scenario> [extra JSON policies]
 */
import { pino } from 'pino'
import { createLogger } from '../../dist/observe/logger.js'
import { createGateway } from '../../dist/gateway.js'
import { validateConfigObject, formatIssues } from '../../dist/config/load.js'
import { createRegistry } from '../../dist/policies/registry.js'

const [upstreamUrl, scenario = 'edge', extra = '[]'] = process.argv.slice(2)
const edge = [
  { name: 'ip-filter', config: { allow: ['127.0.0.0/8', '::1/128'], deny: ['203.0.113.0/24'] } },
  { name: 'request-size', config: { maxBodyBytes: '64kb', maxUrlBytes: '4kb', maxQueryParams: 50 } },
]
const policies = scenario === 'plain' ? [] : [...edge, ...(JSON.parse(extra))]
const registry = createRegistry()
const result = validateConfigObject(
  {
    listen: { http: { host: '127.0.0.1', port: 0 } },
    admin: { host: '127.0.0.1', port: 0 },
    storage: { state: 'memory', data: 'sqlite::memory:' },
    upstreams: { app: { url: upstreamUrl, connections: 128 } },
    routes: [{ name: 'bench', match: { path: '/*' }, upstream: 'app', policies }],
  },
  registry,
)
if (!result.ok) throw new Error(formatIssues(result.errors))
// The production logger (redaction, timestamps, buffered async writes), writing to /dev/null.
const logger = createLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) })
const gateway = await createGateway({ config: result.config, registry, logger })
await gateway.start()
process.stdout.write(`READY ${gateway.url}\n`)
process.on('SIGINT', () => process.exit(0)) // lets --cpu-prof write its profile
