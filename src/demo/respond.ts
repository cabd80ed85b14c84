/**
 * Writing demo API responses: representations in the negotiated format with strong ETags,
 * conditional requests (If-None-Match → 304, If-Match → 412) and problem responses.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { GatewayError, type ErrorCode } from '../core/errors.js'
import { createProblem, sendProblem } from '../core/problem.js'
import { MEDIA_TYPES, type Representation } from './negotiate.js'
import type { XmlCodec } from './xml.js'

/** An expected failure with extra problem members (e.g. `errors` for a 422). */
export class DemoError extends GatewayError {
  constructor(code: ErrorCode, detail?: string, options: { headers?: Record<string, string>; extra?: Record<string, unknown> } = {}) {
    super(code, detail, options.headers, options.extra)
  }
}

/** What a route handler gets for one request. */
export interface DemoContext {
  req: IncomingMessage
  res: ServerResponse
  /** Percent-decoded path parameters. */
  params: Record<string, string>
  query: URLSearchParams
  /** The representation negotiated from Accept (JSON when the response has no body). */
  rep: Representation
  xml: XmlCodec
}

/** XML element names of array items, by the name of the array member. */
const ITEM_NAMES: Readonly<Record<string, string>> = { tags: 'tag' }

/** Serialises a value in one representation. */
export function serialize(xml: XmlCodec, rep: Representation, root: string, value: unknown, itemName?: string): string {
  if (rep === 'json') return JSON.stringify(value)
  return xml.build(root, value, itemName ? { ...ITEM_NAMES, items: itemName } : ITEM_NAMES)
}

/** A strong entity tag over the exact bytes of one representation. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

/** The entity tags of both representations of a resource (If-Match accepts either). */
export function etagsOf(xml: XmlCodec, root: string, value: unknown): string[] {
  return [etagOf(serialize(xml, 'json', root, value)), etagOf(serialize(xml, 'xml', root, value))]
}

function listTags(header: string): string[] {
  return header.split(',', 64).map((t) => t.trim()).filter(Boolean)
}

/**
 * Evaluates If-Match against the current resource (RFC 9110 §13.1.1, strong comparison):
 * `*` matches any existing resource; weak tags never match. Throws 412 when it fails.
 */
export function assertIfMatch(req: IncomingMessage, currentTags: readonly string[]): void {
  const header = req.headers['if-match']
  if (header === undefined) return
  const tags = listTags(header)
  if (tags.includes('*')) return
  if (tags.some((t) => !t.startsWith('W/') && currentTags.includes(t))) return
  throw new DemoError('ERR_PRECONDITION_FAILED', 'The resource has changed since the given entity tag (If-Match).')
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2). */
function noneMatchHit(header: string, etag: string): boolean {
  const tags = listTags(header)
  const bare = etag.replace(/^W\//, '')
  return tags.some((t) => t === '*' || t.replace(/^W\//, '') === bare)
}

/** Options for one representation response. */
export interface SendOptions {
  headers?: Record<string, string>
  /** For lists: the XML element name of each item. */
  itemName?: string
}

/**
 * Sends `value` as the negotiated representation with an ETag. A GET or HEAD whose
 * If-None-Match matches becomes a 304 without a body.
 */
export function sendRepresentation(ctx: DemoContext, status: number, root: string, value: unknown, options: SendOptions = {}): void {
  const body = serialize(ctx.xml, ctx.rep, root, value, options.itemName)
  const etag = etagOf(body)
  const method = ctx.req.method
  const read = method === 'GET' || method === 'HEAD'
  const headers: Record<string, string | number> = {
    ...options.headers,
    etag,
    vary: 'Accept',
    // Clients may cache but must revalidate, which is what the ETag is for.
    'cache-control': 'private, no-cache',
    'x-content-type-options': 'nosniff',
  }
  const ifNoneMatch = ctx.req.headers['if-none-match']
  if (read && status === 200 && ifNoneMatch !== undefined && noneMatchHit(ifNoneMatch, etag)) {
    ctx.res.writeHead(304, headers)
    ctx.res.end()
    return
  }
  headers['content-type'] = MEDIA_TYPES[ctx.rep]
  headers['content-length'] = Buffer.byteLength(body)
  ctx.res.writeHead(status, headers)
  ctx.res.end(method === 'HEAD' ? undefined : body)
}

/** Sends a response without content (204). */
export function sendNoContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(204, headers)
  res.end()
}

/**
 * Turns anything thrown by a handler into an RFC 9457 problem. Unexpected errors become a 500
 * whose body says nothing about the cause; `onError` lets the host log it.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown, onError?: (error: unknown) => void): void {
  let code: ErrorCode = 'ERR_INTERNAL'
  let detail: string | undefined
  let headers: Record<string, string> = {}
  let extra: Record<string, unknown> | undefined
  if (error instanceof GatewayError) {
    code = error.code
    detail = error.message
    headers = { ...error.headers }
    if (error instanceof DemoError) extra = error.extra
  } else {
    onError?.(error)
  }
  // A declared body we did not read to the end (415, 413, ...) is not worth draining: close.
  const declaresBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0'
  if (declaresBody && !req.readableEnded) headers.connection = 'close'
  sendProblem(res, createProblem(code, detail, undefined, extra), { accept: req.headers.accept, headers, head: req.method === 'HEAD' })
}
