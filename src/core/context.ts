/**
 * The per-request context that travels through the pipeline. Cheap to create: the query, the URL
 * and the body are parsed only if a policy asks for them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { Principal } from './types.js'
import { readBodyCapped } from './body.js'

/** Identifies the route a request matched (enough for logs, metrics and policies). */
export interface RouteInfo {
  name: string
  upstream?: string | undefined
}

/** Per-request state shared by the listener, the pipeline and the proxy. */
export class RequestContext {
  readonly id: string
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  /** Raw (still percent-encoded) path, without the query. */
  readonly path: string
  /** Raw query string without `?` ('' when absent). */
  readonly rawQuery: string
  readonly clientIp: string
  /** True when the request arrived over TLS at the gateway (or a trusted proxy said https). */
  readonly secure: boolean
  readonly startNs: bigint
  route: RouteInfo
  params: Record<string, string | undefined>
  principal: Principal | undefined
  /** Headers the gateway adds towards the upstream (verified identity, ...). */
  readonly upstreamHeaders: Record<string, string> = {}
  /**
   * The gateway's own response fields (request id, rate-limit fields), lower-case names. They go
   * out in the object given to `writeHead` — not through `res.setHeader`, which would put Node's
   * `writeHead` on its slow path and pass every upstream header through `setHeader` as well.
   * A responder that writes `res` itself calls `stampResponseHeaders` first.
   */
  readonly responseHeaders: Record<string, string> = {}
  /** Body cap for this request; request-size may lower it. */
  maxBodyBytes: number
  bodyTimeoutMs: number
  /** Free slots for policies (e.g. a concurrency lease released on response). */
  readonly locals = new Map<string, unknown>()
  /** Final outcome for the access log: 'allow', or the rejection code. */
  decision = 'allow'
  #body: Promise<Buffer> | undefined
  #query: URLSearchParams | undefined

  constructor(init: {
    id: string
    req: IncomingMessage
    res: ServerResponse
    path: string
    rawQuery: string
    clientIp: string
    secure: boolean
    maxBodyBytes: number
    bodyTimeoutMs: number
  }) {
    this.id = init.id
    this.req = init.req
    this.res = init.res
    this.method = init.req.method ?? 'GET'
    this.path = init.path
    this.rawQuery = init.rawQuery
    this.clientIp = init.clientIp
    this.secure = init.secure
    this.maxBodyBytes = init.maxBodyBytes
    this.bodyTimeoutMs = init.bodyTimeoutMs
    this.startNs = process.hrtime.bigint()
    this.route = { name: '' }
    this.params = {}
    this.principal = undefined
  }

  /** Request headers as Node parsed them (lower-case names). */
  get headers(): IncomingMessage['headers'] {
    return this.req.headers
  }

  /** Parsed query parameters (parsed on first use). */
  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.rawQuery)
    return this.#query
  }

  /** The TLS socket when the connection is encrypted (for mTLS). */
  get tlsSocket(): TLSSocket | undefined {
    const socket = this.req.socket as TLSSocket
    return socket.encrypted ? socket : undefined
  }

  /** True once a policy has buffered the body (the proxy then forwards the buffer). */
  get bodyRead(): boolean {
    return this.#body !== undefined
  }

  /** Reads the body once, capped at `maxBodyBytes`; every caller gets the same Buffer. */
  readBody(): Promise<Buffer> {
    this.#body ??= readBodyCapped(this.req, this.maxBodyBytes, this.bodyTimeoutMs)
    return this.#body
  }

  /**
   * Replaces the body the upstream will receive (e.g. fields stripped by a property rule).
   * The body must have been read first; Content-Length is recomputed by the proxy.
   */
  replaceBody(body: Buffer): void {
    if (!this.#body) throw new Error('replaceBody() before readBody()')
    this.#body = Promise.resolve(body)
    this.bodyReplaced = true
  }

  /** True when a policy replaced the body (the proxy then drops the client's Content-Length and digests). */
  bodyReplaced = false
}

/** Copies the gateway's own response fields onto `res` for a responder that writes it directly. */
export function stampResponseHeaders(ctx: RequestContext): void {
  if (ctx.res.headersSent) return
  for (const name in ctx.responseHeaders) if (!ctx.res.hasHeader(name)) ctx.res.setHeader(name, ctx.responseHeaders[name]!)
}
