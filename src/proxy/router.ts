/**
 * Route matching, compiled once per config: a find-my-way radix tree keyed by method (and host
 * when a route names one). A path known under other methods yields 405 with the Allow list.
 */
import FindMyWay from 'find-my-way'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** The result of matching one request. */
export type RouteMatch<T> =
  | { kind: 'found'; route: T; params: Record<string, string | undefined> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' }

export interface Router<T> {
  match(method: string, path: string, host: string | undefined): RouteMatch<T>
}

/** Builds a router; earlier routes win when two patterns are identical (first registration). */
export function createRouter<T>(routes: readonly { route: T; path: string; host?: string | undefined; methods?: readonly string[] | undefined }[]): Router<T> {
  const router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 500 })
  const seen = new Set<string>()
  for (const r of routes) {
    for (const method of r.methods ?? METHODS) {
      const methods = method === 'GET' && !r.methods?.includes('HEAD') ? ['GET', 'HEAD'] : [method]
      for (const m of methods) {
        const id = `${m} ${r.host ?? '*'} ${r.path}`
        if (seen.has(id)) continue
        seen.add(id)
        const constraints = r.host ? { host: r.host } : {}
        router.on(m as never, r.path, { constraints }, () => undefined, { route: r.route })
      }
    }
  }
  const find = (method: string, path: string, host: string | undefined) =>
    router.find(method as never, path, host ? { host: stripPort(host) } : {}) ?? (host ? router.find(method as never, path, {}) : null)
  return {
    match(method, path, host) {
      const hit = find(method, path, host)
      if (hit) return { kind: 'found', route: (hit.store as { route: T }).route, params: hit.params }
      const allow = METHODS.filter((m) => m !== method && find(m, path, host))
      return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' }
    },
  }
}

function stripPort(host: string): string {
  const bracket = host.lastIndexOf(']')
  const colon = host.lastIndexOf(':')
  return colon > bracket ? host.slice(0, colon) : host
}
