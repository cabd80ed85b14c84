/**
 * WebSocket upgrades: the upgrade request runs the route's whole pipeline (so authentication,
 * IP filtering and rate limits apply), then the gateway replays it to the upstream and splices the
 * two sockets together. Routes without `websocket: true` refuse upgrades.
 */
import { request as httpRequest, ServerResponse, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { stampResponseHeaders, type RequestContext } from '../core/context.js'
import { contextFor } from './request-context.js'
import type { Runtime } from '../runtime.js'
import { upstreamRequestHeaders } from './headers.js'
import { reject } from './handler.js'
import { isSafePath } from './path-safety.js'

export interface UpgradeHost {
  runtime(): Runtime
  release(runtime: Runtime): void
  onError(ctx: RequestContext, error: unknown): void
  /** Registers a client socket so shutdown can close tunnels that outlive the drain. */
  track(socket: Duplex): void
}

export function createUpgradeHandler(host: UpgradeHost): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const runtime = host.runtime()
    runtime.inFlight++
    let released = false
    const release = (): void => {
      if (!released) host.release(runtime)
      released = true
    }
    socket.on('error', () => socket.destroy())
    socket.once('close', release)
    host.track(socket)
    // A ServerResponse bound to the raw socket lets refusals use the normal problem renderer.
    const res = new ServerResponse(req)
    res.assignSocket(socket as Socket)
    res.shouldKeepAlive = false
    // An upgrade carries no body to read.
    const ctx = contextFor(req, res, runtime, 0)
    res.once('finish', () => socket.destroy())
    // Once spliced, a WebSocket is a long-lived tunnel, not an in-flight request: it must not
    // hold up a config swap or a drain (shutdown closes tunnels after draining HTTP requests).
    upgrade(ctx, runtime, socket, head, release).catch((error: unknown) => {
      host.onError(ctx, error)
      reject(ctx, { code: 'ERR_INTERNAL' })
    })
  }
}

async function upgrade(ctx: RequestContext, runtime: Runtime, socket: Duplex, head: Buffer, established: () => void): Promise<void> {
  if (!isSafePath(ctx.path)) return reject(ctx, { code: 'ERR_REQUEST_MALFORMED' })
  const match = runtime.router.match(ctx.method, ctx.path, ctx.headers.host)
  if (match.kind !== 'found') return reject(ctx, { code: 'ERR_ROUTE_NOT_FOUND' })
  const route = match.route
  ctx.route = { name: route.name, upstream: route.upstream.name }
  ctx.params = match.params
  if (!route.websocket) return reject(ctx, { code: 'ERR_METHOD_NOT_ALLOWED', detail: 'WebSocket upgrades are not allowed on this route.' })
  const refusal = await route.pipeline.run(ctx)
  if (refusal) return reject(ctx, refusal.rejection)

  const target = new URL(ctx.req.url ?? '/', route.upstream.origin)
  const headers = upstreamRequestHeaders(ctx.headers, { clientIp: ctx.clientIp, proto: ctx.secure ? 'https' : 'http', host: ctx.headers.host, requestId: ctx.id }, ctx.upstreamHeaders)
  headers.connection = 'Upgrade'
  headers.upgrade = ctx.headers.upgrade ?? 'websocket'
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  const upstreamReq = send(target, { ...route.upstream.tls, method: ctx.method, headers, timeout: route.upstream.responseTimeoutMs })
  upstreamReq.on('timeout', () => upstreamReq.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })))
  upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
    reject(ctx, error.code === 'ETIMEDOUT' ? { code: 'ERR_UPSTREAM_TIMEOUT' } : { code: 'ERR_UPSTREAM_UNREACHABLE' })
  })
  upstreamReq.on('response', (response) => {
    // The upstream refused the upgrade: relay its answer as is (with the gateway's own fields).
    stampResponseHeaders(ctx)
    ctx.res.writeHead(response.statusCode ?? 502, response.headers)
    response.pipe(ctx.res)
  })
  upstreamReq.on('upgrade', (response, upstreamSocket, upstreamHead) => {
    const lines = [`HTTP/1.1 101 Switching Protocols`]
    for (let i = 0; i < response.rawHeaders.length; i += 2) lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`)
    lines.push(`X-Request-Id: ${ctx.id}`)
    socket.write(lines.join('\r\n') + '\r\n\r\n')
    if (upstreamHead.length > 0) socket.write(upstreamHead)
    if (head.length > 0) upstreamSocket.write(head)
    upstreamSocket.on('error', () => socket.destroy())
    socket.on('error', () => upstreamSocket.destroy())
    upstreamSocket.on('close', () => socket.destroy())
    socket.on('close', () => upstreamSocket.destroy())
    upstreamSocket.pipe(socket).pipe(upstreamSocket)
    established()
  })
  upstreamReq.end()
}
