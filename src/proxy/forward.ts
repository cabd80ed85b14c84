/**
 * Sends an admitted request to its upstream and streams the answer back. Bodies stream both ways
 * unless a policy already buffered the request body; failures map to 502 (unreachable) and 504
 * (timed out), and a body over the cap or too slow maps to 413 / 408.
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { GatewayError, type ErrorCode } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { Upstream } from './upstreams.js'
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js'
import { hasBody, limitedBody } from './body-limit.js'

/** Why a forward failed, for metrics. */
export type UpstreamFailure = 'unreachable' | 'timeout' | 'reset'

/** Forwards the request; resolves once the response is fully written (or throws a GatewayError). */
export async function forward(ctx: RequestContext, upstream: Upstream, proto: 'http' | 'https', onFailure: (kind: UpstreamFailure) => void): Promise<void> {
  const { req, res } = ctx
  let body: Buffer | Readable | undefined
  let bodyError: GatewayError | undefined
  if (ctx.bodyRead) body = await ctx.readBody()
  else if (hasBody(req)) {
    const stream = limitedBody(req, ctx.maxBodyBytes, ctx.bodyTimeoutMs)
    stream.once('error', (e) => {
      bodyError = e instanceof GatewayError ? e : new GatewayError('ERR_REQUEST_MALFORMED', 'The request body could not be read.')
    })
    body = stream
  }
  const headers = upstreamRequestHeaders(req.headers, { clientIp: ctx.clientIp, proto, host: req.headers.host, requestId: ctx.id }, ctx.upstreamHeaders)
  if (ctx.bodyReplaced && Buffer.isBuffer(body)) {
    headers['content-length'] = String(body.length)
    delete headers['content-digest']
  }
  let response: Dispatcher.ResponseData
  try {
    response = await upstream.pool.request({
      method: ctx.method as Dispatcher.HttpMethod,
      path: ctx.req.url ?? '/',
      headers,
      body,
      headersTimeout: upstream.responseTimeoutMs,
      bodyTimeout: upstream.responseTimeoutMs,
    })
  } catch (error) {
    if (bodyError) throw bodyError
    const code = classify(error)
    onFailure(code === 'ERR_UPSTREAM_TIMEOUT' ? 'timeout' : 'unreachable')
    throw new GatewayError(code, code === 'ERR_UPSTREAM_TIMEOUT' ? 'The upstream did not answer in time.' : 'The upstream could not be reached.')
  }
  res.writeHead(response.statusCode, clientResponseHeaders(response.headers, ctx.responseHeaders))
  await relay(response.body, res, () => onFailure('reset'))
}

/**
 * Streams the upstream body to the client. Plain `pipe` plus two listeners: stream.pipeline
 * allocates an AbortController (and a DOMException on every finish), measurably costly here.
 * If either side fails mid-body nothing sensible can be sent any more: both are destroyed.
 */
function relay(body: Readable, res: RequestContext['res'], onReset: () => void): Promise<void> {
  return new Promise((resolve) => {
    let failed = false
    const fail = (): void => {
      if (failed) return
      failed = true
      onReset()
      body.destroy()
      res.destroy()
      resolve()
    }
    body.once('error', fail)
    res.once('close', () => {
      if (!res.writableFinished) fail()
      else resolve()
    })
    body.pipe(res)
  })
}

function classify(error: unknown): ErrorCode {
  const code = (error as { code?: string }).code
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'ERR_UPSTREAM_TIMEOUT'
  return 'ERR_UPSTREAM_UNREACHABLE'
}
