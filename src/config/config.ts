/**
 * The normalised, frozen configuration the gateway runs on: every duration in milliseconds and
 * every size in bytes, so no code below this point parses units.
 */
import { parseDurationMs, parseSizeBytes } from '../core/units.js'
import type { RawConfig, PolicyInstanceConfig } from './schema.js'

export interface UpstreamConfig {
  name: string
  url: string
  connectTimeoutMs: number
  responseTimeoutMs: number
  connections: number
}

export interface RouteConfig {
  name: string
  match: { host?: string | undefined; path: string; methods?: string[] | undefined }
  upstream: string
  websocket: boolean
  policies: PolicyInstanceConfig[]
}

/** The configuration after validation, defaults and unit normalisation. */
export interface Config {
  listen: { http: { host: string; port: number } }
  admin: RawConfig['admin']
  trustedProxies: string[]
  limits: {
    maxBodyBytes: number
    maxHeaderBytes: number
    headersTimeoutMs: number
    bodyTimeoutMs: number
    keepAliveTimeoutMs: number
    shutdownTimeoutMs: number
  }
  storage: { state: string; data: string }
  log: { level: string }
  upstreams: Record<string, UpstreamConfig>
  policies: PolicyInstanceConfig[]
  routes: RouteConfig[]
}

/** Converts a validated raw config into its normalised form and deep-freezes it. */
export function normalizeConfig(raw: RawConfig): Config {
  const l = raw.limits
  const config: Config = {
    listen: raw.listen,
    admin: raw.admin,
    trustedProxies: raw.trustedProxies,
    limits: {
      maxBodyBytes: parseSizeBytes(l.maxBodyBytes),
      maxHeaderBytes: parseSizeBytes(l.maxHeaderBytes),
      headersTimeoutMs: parseDurationMs(l.headersTimeout),
      bodyTimeoutMs: parseDurationMs(l.bodyTimeout),
      keepAliveTimeoutMs: parseDurationMs(l.keepAliveTimeout),
      shutdownTimeoutMs: parseDurationMs(l.shutdownTimeout),
    },
    storage: raw.storage,
    log: raw.log,
    upstreams: Object.fromEntries(
      Object.entries(raw.upstreams).map(([name, u]) => [
        name,
        { name, url: u.url, connections: u.connections, connectTimeoutMs: parseDurationMs(u.connectTimeout), responseTimeoutMs: parseDurationMs(u.responseTimeout) },
      ]),
    ),
    policies: raw.policies,
    routes: raw.routes,
  }
  return deepFreeze(config)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
