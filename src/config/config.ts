/**
 * The normalised, frozen configuration the gateway runs on: every duration in milliseconds and
 * every size in bytes, so no code below this point parses units.
 */
import { parseDurationMs, parseSizeBytes } from '../core/units.js'
import type { RawConfig, PolicyInstanceConfig } from './schema.js'

/** TLS towards one upstream: file paths, read when its pool is created. */
export interface UpstreamTlsConfig {
  /** CAs trusted instead of the public roots. */
  ca?: string[] | undefined
  cert?: string | undefined
  key?: string | undefined
  passphrase?: string | undefined
  serverName?: string | undefined
  verify: boolean
}

export interface UpstreamConfig {
  name: string
  url: string
  connectTimeoutMs: number
  responseTimeoutMs: number
  connections: number
  tls?: UpstreamTlsConfig | undefined
}

/** The plain HTTP listener: what it does, and whether credentials may cross it. */
export interface HttpListenerConfig {
  host: string
  port: number
  mode: 'serve' | 'redirect' | 'off'
  credentials: 'loopback-only' | 'refuse' | 'allow'
}

/** One served certificate (PEM file paths). */
export interface CertificateConfig {
  cert: string
  key: string
  chain?: string | undefined
  passphrase?: string | undefined
  serverNames?: string[] | undefined
}

/** The HTTPS (HTTP/1.1 + h2) listener. */
export interface HttpsListenerConfig {
  host: string
  port: number
  certificates: CertificateConfig[]
  devCertificate: boolean
  minVersion: 'TLSv1.2' | 'TLSv1.3'
  http2: boolean
  watch: boolean
  clientAuth?: { ca: string[]; crl: string[] } | undefined
  hsts: { maxAgeMs: number; includeSubDomains: boolean; preload: boolean }
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
  listen: { http: HttpListenerConfig; https?: HttpsListenerConfig | undefined }
  admin: RawConfig['admin']
  trustedProxies: string[]
  secretKey?: string | undefined
  oauth: {
    enabled: boolean
    issuer?: string | undefined
    audience?: string | undefined
    accessTokenTtlMs: number
    refreshTokenTtlMs: number
    users: RawConfig['oauth']['users']
  }
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
    listen: normalizeListen(raw.listen),
    admin: raw.admin,
    trustedProxies: raw.trustedProxies,
    secretKey: raw.secretKey,
    oauth: {
      enabled: raw.oauth.enabled,
      issuer: raw.oauth.issuer?.replace(/\/+$/, ''),
      audience: raw.oauth.audience,
      accessTokenTtlMs: parseDurationMs(raw.oauth.accessTokenTtl),
      refreshTokenTtlMs: parseDurationMs(raw.oauth.refreshTokenTtl),
      users: raw.oauth.users,
    },
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
        {
          name,
          url: u.url,
          connections: u.connections,
          connectTimeoutMs: parseDurationMs(u.connectTimeout),
          responseTimeoutMs: parseDurationMs(u.responseTimeout),
          tls: u.tls && { ...u.tls, ca: u.tls.ca === undefined ? undefined : toList(u.tls.ca) },
        },
      ]),
    ),
    policies: raw.policies,
    routes: raw.routes,
  }
  return deepFreeze(config)
}

function normalizeListen(listen: RawConfig['listen']): Config['listen'] {
  const https = listen.https
  if (!https) return { http: listen.http }
  const { hsts, clientAuth, ...rest } = https
  return {
    http: listen.http,
    https: {
      ...rest,
      clientAuth: clientAuth && { ca: toList(clientAuth.ca), crl: clientAuth.crl === undefined ? [] : toList(clientAuth.crl) },
      hsts: { maxAgeMs: parseDurationMs(hsts.maxAge), includeSubDomains: hsts.includeSubDomains, preload: hsts.preload },
    },
  }
}

function toList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
