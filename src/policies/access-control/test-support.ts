/**
 * Test support for access-control unit tests: a minimal stand-in for RequestContext that carries
 * exactly what the policy reads (method, params, headers, principal, body) — no sockets.
 */
import type { RequestContext } from '../../core/context.js'
import type { Principal, Rejection } from '../../core/types.js'
import type { PolicyHandler } from '../../core/types.js'

/** What a fake request is made of. */
export interface FakeRequest {
  method?: string
  params?: Record<string, string>
  headers?: Record<string, string | string[]>
  principal?: Principal | undefined
  /** A JSON value (serialised, content-type application/json) or raw text with its own content-type header. */
  json?: unknown
  raw?: string
}

/** A fake context plus what the policy did to it. */
export interface FakeContext {
  ctx: RequestContext
  /** How many times the policy asked for the body. */
  bodyReads(): number
  /** The body the upstream would receive after `replaceBody`, or undefined when untouched. */
  replaced(): string | undefined
}

/** Builds a fake RequestContext. */
export function fakeContext(request: FakeRequest): FakeContext {
  const headers: Record<string, string | string[]> = { ...request.headers }
  let body: Buffer | undefined
  if (request.json !== undefined) {
    body = Buffer.from(JSON.stringify(request.json), 'utf8')
    headers['content-type'] ??= 'application/json'
  } else if (request.raw !== undefined) body = Buffer.from(request.raw, 'utf8')
  if (body) headers['content-length'] = String(body.length)
  let reads = 0
  let replaced: Buffer | undefined
  const ctx = {
    id: 'req-test',
    method: request.method ?? 'GET',
    path: '/test',
    params: request.params ?? {},
    headers,
    principal: request.principal,
    route: { name: 'test' },
    readBody: () => {
      reads++
      return Promise.resolve(body ?? Buffer.alloc(0))
    },
    replaceBody: (b: Buffer) => {
      replaced = b
    },
  }
  return { ctx: ctx as unknown as RequestContext, bodyReads: () => reads, replaced: () => replaced?.toString('utf8') }
}

/** A Principal with sensible defaults. */
export function principal(overrides: Partial<Principal> = {}): Principal {
  return { subject: 'u-1', consumerId: 'c-1', method: 'api-key', scopes: [], roles: [], ...overrides }
}

/** Runs a handler on a fake request and returns its rejection (null = allowed). */
export async function decide(handler: PolicyHandler, request: FakeRequest): Promise<Rejection | null> {
  return await handler.onRequest(fakeContext(request).ctx)
}
