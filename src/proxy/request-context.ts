/**
 * Builds the RequestContext for a request the listener accepted (plain HTTP or a WebSocket
 * upgrade): request id (also sent on the response), client identity headers stripped, path and
 * query split, client IP and scheme resolved through the runtime's trusted proxies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { RequestContext } from '../core/context.js'
import type { Runtime } from '../runtime.js'
import { requestIdFor } from './request-id.js'
import { stripIdentityHeaders } from './headers.js'

export function contextFor(req: IncomingMessage, res: ServerResponse, runtime: Runtime, maxBodyBytes: number): RequestContext {
  const id = requestIdFor(req.headers['x-request-id'])
  stripIdentityHeaders(req.headers)
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const ctx = new RequestContext({
    id,
    req,
    res,
    path: q === -1 ? url : url.slice(0, q),
    rawQuery: q === -1 ? '' : url.slice(q + 1),
    clientIp: runtime.clientIp.clientIp(req),
    secure: runtime.clientIp.protocol(req, (req.socket as { encrypted?: boolean }).encrypted === true) === 'https',
    maxBodyBytes,
    bodyTimeoutMs: runtime.config.limits.bodyTimeoutMs,
  })
  // Sent with the response (see RequestContext.responseHeaders), whichever responder answers.
  ctx.responseHeaders['x-request-id'] = id
  return ctx
}
