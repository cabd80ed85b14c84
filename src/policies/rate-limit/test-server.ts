/**
 * Test harness for the rate-limit policy: a real node:http server that builds a RequestContext
 * per request (real IncomingMessage / ServerResponse), runs the handler like the pipeline does,
 * and answers 200 or the problem. Identity comes from test-only headers.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino, type Logger } from 'pino'
import { RequestContext } from '../../core/context.js'
import { createProblem, sendProblem } from '../../core/problem.js'
import type { PolicyHandler, Principal } from '../../core/types.js'
import { createMetrics, type Metrics } from '../../observe/metrics.js'

/** A running harness. */
export interface PolicyServer {
  url: string
  /** Resolves the held `/slow` requests (concurrency tests). */
  releaseSlow(): void
  /** Number of handler onResponse calls seen. */
  responses: number
  close(): Promise<void>
}

/** Principal from `x-test-consumer` / `x-test-key` / `x-test-tenant` / `x-test-override` (JSON limits). */
function principalOf(req: IncomingMessage): Principal | undefined {
  const consumer = req.headers['x-test-consumer']
  if (typeof consumer !== 'string') return undefined
  const override = req.headers['x-test-limits']
  return {
    subject: consumer,
    consumerId: consumer,
    credentialId: typeof req.headers['x-test-key'] === 'string' ? req.headers['x-test-key'] : undefined,
    tenant: typeof req.headers['x-test-tenant'] === 'string' ? req.headers['x-test-tenant'] : undefined,
    method: 'api-key',
    scopes: [],
    roles: [],
    ...(typeof override === 'string' ? { limits: JSON.parse(override) as Principal['limits'] } : {}),
  }
}

/** Starts the harness on an ephemeral loopback port. */
export async function startPolicyServer(handler: PolicyHandler, routeName = 'test-route'): Promise<PolicyServer> {
  let slow: Array<() => void> = []
  const state = { responses: 0 }
  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const ctx = new RequestContext({
      id: 'req-1',
      req,
      res,
      path: q === -1 ? url : url.slice(0, q),
      rawQuery: q === -1 ? '' : url.slice(q + 1),
      clientIp: typeof req.headers['x-test-ip'] === 'string' ? req.headers['x-test-ip'] : '127.0.0.1',
      secure: false,
      maxBodyBytes: 1024,
      bodyTimeoutMs: 1000,
    })
    ctx.route = { name: routeName }
    ctx.principal = principalOf(req)
    res.once('close', () => {
      state.responses++
      handler.onResponse?.(ctx, res.statusCode)
    })
    Promise.resolve(handler.onRequest(ctx)).then(
      async (rejection) => {
        if (rejection) {
          // As the gateway's handler does: its own response fields, then the rejection's.
          sendProblem(res, createProblem(rejection.code, rejection.detail, ctx.id, rejection.extra), { headers: { ...ctx.responseHeaders, ...rejection.headers } })
          return
        }
        if (ctx.path === '/slow') await new Promise<void>((resolve) => slow.push(resolve))
        res.writeHead(200, { ...ctx.responseHeaders, 'content-type': 'text/plain' })
        res.end('ok')
      },
      (error: unknown) => {
        res.writeHead(500)
        res.end(String(error))
      },
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    releaseSlow() {
      const pending = slow
      slow = []
      for (const resolve of pending) resolve()
    },
    get responses() {
      return state.responses
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Logger that records lines in memory, and fresh metrics. */
export function testDeps(): { logger: Logger; lines: string[]; metrics: Metrics } {
  const lines: string[] = []
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }) as Logger
  return { logger, lines, metrics: createMetrics({ processMetrics: false }) }
}
