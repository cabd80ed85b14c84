/**
 * Reads a request body once, capped and time-limited. The cap is checked against the declared
 * Content-Length before a byte is read, and again as bytes arrive (chunked bodies declare none).
 */
import type { IncomingMessage } from 'node:http'
import { GatewayError } from './errors.js'

/** Reads the whole body into one Buffer or throws a GatewayError (413 over the cap, 408 when slow). */
export function readBodyCapped(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(new GatewayError('ERR_BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`))
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const timer = setTimeout(() => finish(new GatewayError('ERR_REQUEST_TIMEOUT', 'The request body was not received in time.')), timeoutMs)
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) finish(new GatewayError('ERR_BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`))
      else chunks.push(chunk)
    }
    const onEnd = (): void => finish(null)
    const onError = (): void => finish(new GatewayError('ERR_REQUEST_MALFORMED', 'The request body could not be read.'))
    const onAborted = (): void => finish(new GatewayError('ERR_REQUEST_MALFORMED', 'The client aborted the request body.'))
    function finish(error: GatewayError | null): void {
      clearTimeout(timer)
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted)
      if (error) {
        // Stop reading; the connection will be closed after the problem response.
        req.pause()
        reject(error)
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted)
  })
}
