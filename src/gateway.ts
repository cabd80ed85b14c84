/**
 * A gateway instance: the listener, the admin listener, the stores, and the current runtime.
 * `createGateway` wires the parts; everything a request touches lives in `Runtime`.
 */
import { createServer, type Server } from 'node:http'
import { watch, type FSWatcher } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { Config } from './config/config.js'
import { loadConfigFile, formatIssues, type LoadResult } from './config/load.js'
import type { Policy, PolicyDeps } from './core/types.js'
import { SecurityEvents } from './core/events.js'
import { createRegistry } from './policies/registry.js'
import { createMetrics, type Metrics } from './observe/metrics.js'
import { createLogger } from './observe/logger.js'
import { compileRuntime, type Runtime } from './runtime.js'
import { UpstreamPools } from './proxy/upstreams.js'
import { createRequestHandler } from './proxy/handler.js'
import { createHttpsListener, type HttpsListener } from './tls/https-listener.js'
import { createRedirectHandler, createInsecureCredentialsGuard } from './tls/plain-http.js'
import { tlsConfigWarnings } from './tls/config-warnings.js'
import { createUpgradeHandler } from './proxy/websocket.js'
import { onClientError } from './proxy/client-error.js'
import { createAccessLog } from './observe/access-log.js'
import { createAdminHandler, hashAdminToken, type AdminRoute, type AdminToken } from './admin/router.js'
import { healthRoutes } from './admin/health-routes.js'
import { openStores, type Stores } from './store/open-stores.js'
import { loadOrCreateSecretKeys } from './store/secret-key.js'
import { createSecretBox } from './policies/hmac/secret-box.js'
import { createCredentialServices } from './credentials.js'
import { createUsageWriter } from './store/data/usage-writer.js'
import { createRequestLog } from './observe/request-log.js'
import type { AdminServices } from './admin/services.js'
import { consumerRoutes } from './admin/consumer-routes.js'
import { keyRoutes } from './admin/key-routes.js'
import { hmacRoutes } from './admin/hmac-routes.js'
import { observeRoutes } from './admin/observe-routes.js'
import { clientRoutes } from './admin/client-routes.js'
import { createAuthServer } from './auth-server/create-auth-server.js'
import { createDataClientStore } from './auth-server/data-client-store.js'
import { FileSigningKeyStore } from './auth-server/file-signing-key-store.js'
import { MemoryUserStore } from './auth-server/memory-stores.js'
import { stampResponseHeaders, type RequestContext } from './core/context.js'
import { PATHS } from './auth-server/context.js'

/** The paths the authorization server answers on the gateway listener. */
const AUTH_SERVER_PATHS: ReadonlySet<string> = new Set(Object.values(PATHS))

export interface GatewayOptions {
  config: Config
  /** When set, `reload()` re-reads this file; with `watch`, changes are picked up automatically. */
  configPath?: string
  watch?: boolean
  registry?: ReadonlyMap<string, Policy>
  logger?: Logger
  home?: string
  /** Pre-opened stores (tests, embedders); otherwise opened from `config.storage`. */
  stores?: Stores
  /** Plaintext admin tokens from the environment or demo mode; held only as hashes. */
  adminTokens?: readonly { name: string; token: string; roles?: AdminToken['roles'] }[]
}

export interface Gateway {
  /** The plain HTTP listener's URL, or the HTTPS one when plain HTTP is off. */
  readonly url: string
  /** `https://host:port` when `listen.https` is configured, '' otherwise. */
  readonly httpsUrl: string
  readonly adminUrl: string
  readonly logger: Logger
  readonly events: SecurityEvents
  readonly metrics: Metrics
  readonly deps: PolicyDeps
  /** Admin routes; later features append theirs before `start`. */
  readonly adminRoutes: AdminRoute[]
  /** Pre-routing handlers on the gateway listener (e.g. the OAuth endpoints). */
  readonly mounts: ((ctx: RequestContext) => boolean | Promise<boolean>)[]
  /** Observers of finished requests (usage analytics, request logs). */
  readonly completed: ((ctx: RequestContext, status: number) => void)[]
  start(): Promise<void>
  /** Re-reads the config file and swaps atomically; a broken file is refused and the old config keeps serving. */
  reload(): Promise<LoadResult>
  /** Graceful: stop accepting, let in-flight requests finish (up to shutdownTimeout), close pools and stores. */
  stop(): Promise<void>
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const registry = options.registry ?? createRegistry()
  const home = options.home ?? '.portcullis'
  const logger = options.logger ?? createLogger({ level: options.config.log.level })
  const metrics = createMetrics()
  const events = new SecurityEvents()
  const stores = options.stores ?? (await openStores(options.config.storage, logger, (breaker) => metrics.stateStoreDegraded.set(breaker === 'closed' ? 0 : 1)))
  const secretBox = createSecretBox(
    loadOrCreateSecretKeys(options.config.secretKey, process.env, home, (path) => logger.warn({ path }, 'created a new secret key file; back it up with the data store')),
  )
  const credentials = createCredentialServices(stores.data, secretBox)
  const oauth = options.config.oauth
  const authServer = oauth.enabled
    ? await createAuthServer({
        issuer: oauth.issuer ?? `http://${hostForUrl(options.config.listen.http.host)}:${options.config.listen.http.port}`,
        audience: oauth.audience,
        clients: createDataClientStore(stores.data),
        state: stores.state,
        signingKeys: new FileSigningKeyStore(home),
        users: oauth.users.length > 0 ? localUsers(oauth.users) : undefined,
        accessTokenTtlMs: oauth.accessTokenTtlMs,
        refreshTokenTtlMs: oauth.refreshTokenTtlMs,
      })
    : undefined
  const deps: PolicyDeps = { logger, events, metrics, state: stores.state, data: stores.data, home, credentials, localIssuer: authServer }
  const usageWriter = createUsageWriter(stores.data, { onError: (err) => logger.error({ err }, 'usage flush failed (counts kept for the next try)') })
  const requestLog = createRequestLog()
  const pools = new UpstreamPools()
  let runtime: Runtime = await compileRuntime(options.config, registry, deps, pools)
  const retiring = new Set<Runtime>()
  let shuttingDown = false
  let drained: (() => void) | undefined
  const accessLog = createAccessLog(logger, metrics)
  const completed: Gateway['completed'] = [
    (ctx, status) => {
      requestLog.record(ctx, status)
      const p = ctx.principal
      if (p) usageWriter.record({ keyId: p.credentialId, consumerId: p.consumerId, route: ctx.route.name, status, at: Date.now() })
    },
  ]
  // The authorization server writes `res` itself: the gateway's own fields go on first, but only
  // for its paths (stamping every request would cost each one Node's slow header path).
  const mounts: Gateway['mounts'] = authServer
    ? [
        (ctx) => {
          if (!AUTH_SERVER_PATHS.has(ctx.path)) return false
          stampResponseHeaders(ctx)
          return authServer.handle(ctx.req, ctx.res)
        },
      ]
    : []

  const adminTokens: AdminToken[] = [
    ...options.config.admin.tokens.map((t) => ({ name: t.name, roles: t.roles, hash: Buffer.from(t.hash.slice(7), 'hex') })),
    ...(options.adminTokens ?? []).map((t) => ({ name: t.name, roles: t.roles ?? ['admin' as const], hash: hashAdminToken(t.token) })),
  ]
  const adminRoutes: AdminRoute[] = healthRoutes(
    { shuttingDown: () => shuttingDown, checkStores: async () => void (await Promise.all([stores.state.ping(), stores.data.ping()])) },
    metrics,
    options.config.admin.publicMetrics,
  )
  const services: AdminServices = { data: stores.data, apiKeys: credentials.apiKeys, invalidateHmac: credentials.invalidateHmac, secretBox }
  adminRoutes.push(
    ...consumerRoutes(services),
    ...keyRoutes(services),
    ...hmacRoutes(services),
    ...clientRoutes(services),
    ...observeRoutes({ data: stores.data, requestLog, events, flushUsage: () => usageWriter.flush() }),
  )

  const totalInFlight = (): number => runtime.inFlight + [...retiring].reduce((n, r) => n + r.inFlight, 0)
  const release = (r: Runtime): void => {
    r.inFlight--
    if (r !== runtime && r.inFlight === 0 && retiring.delete(r)) void r.retire()
    if (drained && totalInFlight() === 0) drained()
  }
  const onError = (ctx: RequestContext, error: unknown): void => logger.error({ err: error, requestId: ctx.id }, 'request failed')

  const handler = createRequestHandler({
    runtime: () => runtime,
    shuttingDown: () => shuttingDown,
    mounts,
    release,
    onError,
    onUpstreamFailure: (upstream, kind) => metrics.upstreamErrors.inc({ upstream, kind }),
    onComplete(ctx, status, route) {
      accessLog(ctx, status, route?.name)
      for (const observer of completed) observer(ctx, status)
    },
  })
  const listenConfig = options.config.listen
  for (const warning of tlsConfigWarnings(options.config)) logger.warn(warning)
  // First mount: an exposed credential is refused before any policy (or other mount) reads it.
  mounts.unshift(createInsecureCredentialsGuard(() => runtime.config.listen.http.credentials))
  const https: HttpsListener | undefined = listenConfig.https
    ? await createHttpsListener({ config: listenConfig.https, limits: options.config.limits, home, logger, events, handler })
    : undefined
  if (listenConfig.http.mode === 'redirect' && !https) throw new Error('listen.http.mode "redirect" needs listen.https')
  const server: Server = createServer(
    {
      requestTimeout: 0, // body time is enforced per request by the body reader / limiter
      headersTimeout: options.config.limits.headersTimeoutMs,
      keepAliveTimeout: options.config.limits.keepAliveTimeoutMs,
      maxHeaderSize: options.config.limits.maxHeaderBytes,
      // Checked in the handler instead, so a missing Host gets a problem body like every 400.
      requireHostHeader: false,
      // Node checks header deadlines on this interval (default 30 s, far too coarse for slowloris).
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(options.config.limits.headersTimeoutMs / 4))),
    },
    listenConfig.http.mode === 'redirect'
      ? createRedirectHandler({
          httpsPort: () => Number(new URL(https!.url).port || 443),
          clientIp: (req) => runtime.clientIp.clientIp(req),
          credentials: () => runtime.config.listen.http.credentials,
        })
      : handler,
  )
  const tunnels = new Set<Duplex>()
  const track = (socket: Duplex): void => {
    tunnels.add(socket)
    socket.once('close', () => tunnels.delete(socket))
  }
  const onUpgrade = createUpgradeHandler({ runtime: () => runtime, release, onError, track })
  const onBadClient = (error: NodeJS.ErrnoException, socket: Duplex): void =>
    onClientError(error, socket, (code, err) => {
      metrics.requests.inc({ route: '', method: '', status: code === 'ERR_HEADERS_TOO_LARGE' ? '431' : code === 'ERR_REQUEST_TIMEOUT' ? '408' : '400' })
      logger.info({ code, reason: err.message }, 'client error')
    })
  if (listenConfig.http.mode === 'serve') server.on('upgrade', onUpgrade)
  server.on('clientError', onBadClient)
  // HTTP/1.1-over-TLS connections on the HTTPS listener emit these on its server too.
  https?.server.on('upgrade', onUpgrade)
  https?.server.on('clientError', onBadClient)
  const adminServer = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000 },
    createAdminHandler(() => adminRoutes, () => adminTokens, (error) => logger.error({ err: error }, 'admin request failed')),
  )

  let watcher: FSWatcher | undefined
  let reloading: Promise<LoadResult> | undefined
  const reload = async (): Promise<LoadResult> => {
    if (!options.configPath) return { ok: false, errors: [{ pointer: '', message: 'no configuration file to reload' }] }
    const result = await loadConfigFile(options.configPath, registry)
    if (!result.ok) {
      logger.error({ errors: result.errors }, `configuration reload refused, still serving the previous one:\n${formatIssues(result.errors)}`)
      return result
    }
    try {
      const next = await compileRuntime(result.config, registry, deps, pools)
      const previous = runtime
      runtime = next
      if (previous.inFlight === 0) void previous.retire()
      else retiring.add(previous)
      warnOnRestartOnlyChanges(previous.config, result.config, logger)
      logger.info({ routes: result.config.routes.length }, 'configuration reloaded')
      return result
    } catch (error) {
      logger.error({ err: error }, 'configuration reload refused, still serving the previous one')
      return { ok: false, errors: [{ pointer: '', message: (error as Error).message }] }
    }
  }
  const serializedReload = (): Promise<LoadResult> => {
    // Reloads never overlap: a change during a reload waits for it, then reads the file again.
    const next = (reloading ?? Promise.resolve()).then(reload, reload)
    reloading = next
    return next
  }

  const gateway: Gateway = {
    get url() {
      return server.listening ? urlOf(server) : (https?.url ?? '')
    },
    get httpsUrl() {
      return https?.url ?? ''
    },
    get adminUrl() {
      return urlOf(adminServer)
    },
    logger,
    events,
    metrics,
    deps,
    adminRoutes,
    mounts,
    completed,
    async start() {
      if (listenConfig.http.mode !== 'off') await listen(server, listenConfig.http.port, listenConfig.http.host)
      await https?.listen()
      await listen(adminServer, options.config.admin.port, options.config.admin.host)
      if (options.watch && options.configPath) {
        let timer: NodeJS.Timeout | undefined
        watcher = watch(options.configPath, () => {
          clearTimeout(timer)
          timer = setTimeout(() => void serializedReload(), 100)
        })
      }
    },
    reload: serializedReload,
    async stop() {
      if (shuttingDown) return
      shuttingDown = true
      watcher?.close()
      const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
      server.closeIdleConnections()
      const httpsClosed = https?.close()
      if (totalInFlight() > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, runtime.config.limits.shutdownTimeoutMs).unref()),
        ])
      }
      server.closeAllConnections()
      https?.destroyConnections()
      for (const socket of tunnels) socket.destroy()
      await closed
      await httpsClosed
      adminServer.closeAllConnections()
      await new Promise<void>((resolve) => adminServer.close(() => resolve()))
      await Promise.all([runtime.retire(), ...[...retiring].map((r) => r.retire())])
      await pools.closeAll()
      await authServer?.close()
      await usageWriter.close().catch((err: unknown) => logger.error({ err }, 'final usage flush failed'))
      await Promise.allSettled([stores.state.close(), stores.data.close()])
      logger.flush?.()
    },
  }
  return gateway
}

function warnOnRestartOnlyChanges(before: Config, after: Config, logger: Logger): void {
  const restartOnly = ['listen', 'admin', 'storage', 'limits'] as const
  for (const key of restartOnly) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) logger.warn({ section: key }, `changes to "${key}" take effect after a restart`)
  }
}

/** Local login users from config; passwords are scrypt-hashed here and the clear text dropped. */
function localUsers(users: Config['oauth']['users']): MemoryUserStore {
  const store = new MemoryUserStore()
  for (const u of users) store.addUser(u.username, u.password, { subject: `user:${u.username}`, roles: u.roles, tenant: u.tenant, scopes: u.scopes })
  return store
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo | null
  if (!address) return ''
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}
