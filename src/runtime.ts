/**
 * A runtime is one config generation compiled for the hot path: router, per-route pipelines,
 * upstream pools and the client-IP resolver. A reload builds a new runtime beside the old one and
 * swaps a single reference; requests in flight finish on the runtime they started on.
 */
import type { Config } from './config/config.js'
import type { Policy, PolicyDeps } from './core/types.js'
import { compilePipeline, type CompiledPipeline } from './core/pipeline.js'
import { createRouter, type Router } from './proxy/router.js'
import { createClientIpResolver, type ClientIpResolver } from './proxy/client-ip.js'
import type { Upstream, UpstreamPools } from './proxy/upstreams.js'

/** One route, ready to serve. */
export interface CompiledRoute {
  name: string
  upstream: Upstream
  websocket: boolean
  pipeline: CompiledPipeline
}

export interface Runtime {
  config: Config
  router: Router<CompiledRoute>
  clientIp: ClientIpResolver
  routes: readonly CompiledRoute[]
  /** Requests currently using this runtime; it retires when this drops to zero after a swap. */
  inFlight: number
  retire(): Promise<void>
}

/** Compiles a config; throws (leaving nothing open) if any policy refuses its config. */
export async function compileRuntime(config: Config, registry: ReadonlyMap<string, Policy>, deps: PolicyDeps, pools: UpstreamPools): Promise<Runtime> {
  const upstreams = pools.acquire(config.upstreams)
  const routes: CompiledRoute[] = []
  try {
    for (const route of config.routes) {
      const pipeline = await compilePipeline([...config.policies, ...route.policies], registry, deps)
      routes.push({ name: route.name, upstream: upstreams.get(route.upstream)!, websocket: route.websocket, pipeline })
    }
  } catch (error) {
    await Promise.all(routes.map((r) => r.pipeline.close()))
    await pools.release(upstreams)
    throw error
  }
  const router = createRouter(
    config.routes.map((r, i) => ({ route: routes[i]!, path: r.match.path, host: r.match.host, methods: r.match.methods })),
  )
  return {
    config,
    router,
    clientIp: createClientIpResolver(config.trustedProxies),
    routes,
    inFlight: 0,
    async retire() {
      await Promise.all(routes.map((r) => r.pipeline.close()))
      await pools.release(upstreams)
    },
  }
}
