/**
 * Admin API plumbing: bearer admin tokens (hashed in memory, compared in constant time), roles
 * (viewer reads, operator and admin change), JSON bodies, and problems for every error.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import FindMyWay from 'find-my-way'
import { createProblem, sendProblem } from '../core/problem.js'
import { GatewayError } from '../core/errors.js'
import { isDataStoreError } from '../store/data/errors.js'

export type AdminRole = 'admin' | 'operator' | 'viewer'

/** Who is calling the admin API (never the token itself). */
export interface AdminActor {
  name: string
  roles: readonly AdminRole[]
}

/** One admin token as held in memory. */
export interface AdminToken {
  name: string
  hash: Buffer
  roles: readonly AdminRole[]
}

export interface AdminRequest {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string | undefined>
  query: URLSearchParams
  actor: AdminActor | undefined
  /** Parses the JSON body (capped at 64 KiB); throws a GatewayError on bad input. */
  json(): Promise<unknown>
}

/** An admin endpoint. `role` is the least role that may call it; `public` skips the token. */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  role?: AdminRole
  public?: boolean
  handle(request: AdminRequest): Promise<void> | void
}

/** Hashes an admin token for storage or comparison. */
export function hashAdminToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

const RANK: Record<AdminRole, number> = { viewer: 0, operator: 1, admin: 2 }

function authenticate(header: string | undefined, tokens: readonly AdminToken[]): AdminActor | undefined {
  if (!header || !header.startsWith('Bearer ')) return undefined
  const presented = hashAdminToken(header.slice(7).trim())
  let found: AdminToken | undefined
  // Compare against every token so timing does not reveal which one (or whether any) matched.
  for (const token of tokens) if (timingSafeEqual(presented, token.hash)) found ??= token
  return found && { name: found.name, roles: found.roles }
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers })
  res.end(text)
}

/** Builds the admin request handler from a route list and a token source (read per request). */
export function createAdminHandler(routes: () => readonly AdminRoute[], tokens: () => readonly AdminToken[], onError: (error: unknown) => void) {
  let built: { routes: readonly AdminRoute[]; router: ReturnType<typeof FindMyWay> } | undefined
  const routerFor = (list: readonly AdminRoute[]) => {
    if (built?.routes === list) return built.router
    const router = FindMyWay({ ignoreTrailingSlash: true })
    for (const route of list) router.on(route.method, route.path, () => undefined, { route })
    built = { routes: list, router }
    return router
  }
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid')
    const accept = req.headers.accept
    const fail = (code: ConstructorParameters<typeof GatewayError>[0], detail?: string, headers?: Record<string, string>, extra?: Record<string, unknown>) =>
      sendProblem(res, createProblem(code, detail, undefined, extra), { accept, headers })
    try {
      const router = routerFor(routes())
      const hit = router.find(req.method as never, url.pathname)
      if (!hit) return fail('ERR_ADMIN_NOT_FOUND')
      const route = (hit.store as { route: AdminRoute }).route
      const actor = authenticate(req.headers.authorization, tokens())
      if (!route.public) {
        if (!actor) return fail('ERR_ADMIN_UNAUTHORIZED', 'A valid admin bearer token is required.', { 'www-authenticate': 'Bearer realm="portcullis-admin"' })
        const need = RANK[route.role ?? (route.method === 'GET' ? 'viewer' : 'operator')]
        if (!actor.roles.some((r) => RANK[r] >= need)) return fail('ERR_ADMIN_FORBIDDEN')
      }
      await route.handle({ req, res, params: hit.params, query: url.searchParams, actor, json: () => readJson(req) })
    } catch (error) {
      if (error instanceof GatewayError) return fail(error.code, error.message, error.headers, error.extra)
      if (isDataStoreError(error, 'conflict')) return fail('ERR_CONFLICT', 'The change conflicts with the current state (e.g. the key was already rotated or revoked).')
      if (isDataStoreError(error, 'not_found')) return fail('ERR_ADMIN_NOT_FOUND')
      onError(error)
      fail('ERR_INTERNAL')
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? ''
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 65_536) throw new GatewayError('ERR_BODY_TOO_LARGE', 'Admin request bodies are limited to 64 KiB.')
    chunks.push(chunk)
  }
  if (size === 0) return {}
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new GatewayError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Send application/json.')
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)))
  } catch {
    throw new GatewayError('ERR_REQUEST_MALFORMED', 'The body is not valid UTF-8 JSON.')
  }
}
