/**
 * A streamed request body, counted as it flows: over the cap or slower than the body timeout, the
 * stream fails with a GatewayError, the upstream request is aborted, and the client gets 413/408.
 */
import { Transform, type TransformCallback } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { GatewayError } from '../core/errors.js'

export function limitedBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Transform {
  let seen = 0
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      seen += chunk.length
      if (seen > maxBytes) callback(new GatewayError('ERR_BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`))
      else callback(null, chunk)
    },
    flush(callback) {
      clearTimeout(timer)
      callback()
    },
  })
  const timer = setTimeout(() => limiter.destroy(new GatewayError('ERR_REQUEST_TIMEOUT', 'The request body was not received in time.')), timeoutMs)
  timer.unref()
  req.on('aborted', () => {
    clearTimeout(timer)
    limiter.destroy(new GatewayError('ERR_REQUEST_MALFORMED', 'The client aborted the request body.'))
  })
  limiter.on('close', () => clearTimeout(timer))
  return req.pipe(limiter)
}

/** True when the request carries a body (declared length > 0, or any transfer coding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
