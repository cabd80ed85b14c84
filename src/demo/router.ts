/**
 * A small exact-segment router for the demo API's handful of routes. It answers what is the same
 * for every route: 404 for unknown paths, 405 + Allow for known paths, OPTIONS (204 + Allow),
 * HEAD wherever GET works, and 406 when the client accepts no representation we produce.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { negotiateRepresentation } from './negotiate.js'
import { DemoError, sendError, sendNoContent, type DemoContext } from './respond.js'
import type { XmlCodec } from './xml.js'

/** Handles one request on a matched route. */
export type RouteHandler = (ctx: DemoContext) => void | Promise<void>

/** One path pattern (`/v1/stations/:id`) and its handlers by method. */
export interface RouteSpec {
  path: string
  methods: Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', RouteHandler>>
}

interface CompiledRoute {
  segments: string[]
  handlers: Map<string, RouteHandler>
  allow: string
  acceptPatch: boolean
}

/** Dependencies of the router. */
export interface RouterOptions {
  xml: XmlCodec
  /** Called with unexpected errors (those that become a 500). */
  onError?: (error: unknown) => void
}

function compile(spec: RouteSpec): CompiledRoute {
  const handlers = new Map<string, RouteHandler>(Object.entries(spec.methods) as [string, RouteHandler][])
  const methods = [...handlers.keys()]
  if (handlers.has('GET')) methods.splice(methods.indexOf('GET') + 1, 0, 'HEAD')
  methods.push('OPTIONS')
  return { segments: spec.path.slice(1).split('/'), handlers, allow: methods.join(', '), acceptPatch: handlers.has('PATCH') }
}

function match(route: CompiledRoute, segments: string[]): Record<string, string> | null {
  if (route.segments.length !== segments.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const pattern = route.segments[i]!
    const actual = segments[i]!
    if (pattern.startsWith(':')) {
      if (actual === '') return null
      params[pattern.slice(1)] = actual
    } else if (pattern !== actual) return null
  }
  return params
}

function splitTarget(url: string): { path: string; query: string } {
  if (url.startsWith('/')) {
    const q = url.indexOf('?')
    return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) }
  }
  // Absolute-form targets (`GET http://host/v1/stations`) are legal HTTP/1.1.
  try {
    const parsed = new URL(url)
    return { path: parsed.pathname, query: parsed.search.slice(1) }
  } catch {
    throw new DemoError('ERR_REQUEST_MALFORMED', 'The request target is not a valid URL path.')
  }
}

function decodeSegments(path: string): string[] {
  try {
    return path.slice(1).split('/').map(decodeURIComponent)
  } catch {
    throw new DemoError('ERR_REQUEST_MALFORMED', 'The request path has invalid percent-encoding.')
  }
}

/** Builds the request listener for a route table. */
export function createRouter(specs: readonly RouteSpec[], options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = specs.map(compile)
  return (req, res) => {
    let result: void | Promise<void>
    try {
      result = dispatch(req, res)
    } catch (error) {
      sendError(req, res, error, options.onError)
      return
    }
    if (result) result.catch((error: unknown) => sendError(req, res, error, options.onError))
  }

  function dispatch(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const { path, query } = splitTarget(req.url ?? '/')
    const segments = decodeSegments(path)
    let route: CompiledRoute | undefined
    let params: Record<string, string> | null = null
    for (const candidate of routes) {
      params = match(candidate, segments)
      if (params) {
        route = candidate
        break
      }
    }
    if (!route || !params) throw new DemoError('ERR_ROUTE_NOT_FOUND', 'No resource lives at this path.')
    const method = req.method ?? 'GET'
    const extra: Record<string, string> = route.acceptPatch ? { 'accept-patch': 'application/merge-patch+json' } : {}
    if (method === 'OPTIONS') return sendNoContent(res, { allow: route.allow, ...extra })
    const handler = route.handlers.get(method === 'HEAD' ? 'GET' : method)
    if (!handler) {
      throw new DemoError('ERR_METHOD_NOT_ALLOWED', 'This method is not allowed on this resource.', { headers: { allow: route.allow } })
    }
    // DELETE answers without content, so what the client accepts does not matter.
    const rep = method === 'DELETE' ? 'json' : negotiateRepresentation(req.headers.accept)
    if (rep === null) {
      throw new DemoError('ERR_NOT_ACCEPTABLE', 'This API produces application/json and application/xml.')
    }
    return handler({ req, res, params, query: new URLSearchParams(query), rep, xml: options.xml })
  }
}
