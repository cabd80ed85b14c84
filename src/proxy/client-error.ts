/**
 * Requests Node's HTTP parser refuses before any handler runs — oversized headers, CR/LF in a
 * field, both Content-Length and Transfer-Encoding (request smuggling), a garbage or negative
 * Content-Length, a header-read timeout — still get a problem response, then the connection closes.
 */
import type { Duplex } from 'node:stream'
import { createProblem, serializeProblem } from '../core/problem.js'
import type { ErrorCode } from '../core/errors.js'
import { ERRORS } from '../core/errors.js'
import { requestIdFor } from './request-id.js'

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' }

function codeFor(error: NodeJS.ErrnoException): ErrorCode {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'ERR_HEADERS_TOO_LARGE'
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT' as string:
      return 'ERR_REQUEST_TIMEOUT'
    default:
      return 'ERR_REQUEST_MALFORMED'
  }
}

/** `clientError` listener: writes a minimal problem response when the socket is still writable. */
export function onClientError(error: NodeJS.ErrnoException, socket: Duplex, report: (code: ErrorCode, error: Error) => void): void {
  const code = codeFor(error)
  report(code, error)
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy()
    return
  }
  const id = requestIdFor(undefined)
  const { body, contentType } = serializeProblem(createProblem(code, detailFor(code), id), false)
  const status = ERRORS[code].status
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${id}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  )
}

function detailFor(code: ErrorCode): string {
  if (code === 'ERR_HEADERS_TOO_LARGE') return 'The request header section is larger than allowed.'
  if (code === 'ERR_REQUEST_TIMEOUT') return 'The request was not received in time.'
  return 'The request could not be parsed as HTTP/1.1.'
}
