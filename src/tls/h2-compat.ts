/**
 * HTTP/2 requests (node:http2 compatibility API) reshaped into what the HTTP/1.1 pipeline expects,
 * so no policy needs to know which protocol a request came over.
 */
import type { IncomingMessage } from 'node:http'

/**
 * - `:authority` → `Host` when the client sent no Host field (RFC 9113 §8.3.1), for routing,
 *   X-Forwarded-Host and signature checks.
 * - A request stream that carries data without a `content-length` gets `transfer-encoding: chunked`,
 *   the HTTP/1.1 spelling of "a body of undeclared length". Every "has a body?" check (proxy
 *   streaming, body-digest requirements of signed requests, body rules) reads those two fields; without
 *   this, an h2 body of undeclared length would look body-less — dropped on the way upstream, and
 *   invisible to a policy that demands a digest for bodies. The field itself is hop-by-hop and never
 *   forwarded; undici frames the upstream request on its own.
 */
export function normalizeHttp2Request(req: IncomingMessage): void {
  const headers = req.headers
  if (headers.host === undefined && typeof headers[':authority'] === 'string') headers.host = headers[':authority']
  const stream = (req as { stream?: { endAfterHeaders?: boolean } }).stream
  if (stream && stream.endAfterHeaders === false && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    headers['transfer-encoding'] = 'chunked'
  }
}
