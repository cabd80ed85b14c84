/**
 * The seams every part of the gateway plugs into: stages, the Principal, rejections and policies.
 * Read this file first.
 */
import type { TSchema, Static } from 'typebox'
import type { Logger } from 'pino'
import type { ErrorCode } from './errors.js'
import type { RequestContext } from './context.js'
import type { SecurityEvents } from './events.js'
import type { StateStore } from '../store/state/types.js'
import type { DataStore } from '../store/data/types.js'
import type { Metrics } from '../observe/metrics.js'
import type { ApiKeyVerifier } from '../policies/api-key/verifier.js'
import type { HmacKeyResolver } from '../policies/hmac/verify.js'
import type { LocalIssuer } from '../policies/oauth/oauth.js'

/** Credential lookups shared by every route (one cache each, invalidated by the admin API). */
export interface CredentialServices {
  apiKeys: ApiKeyVerifier
  hmacKeys: HmacKeyResolver
}

/** The five stages, in the order they run. */
export const STAGES = ['edge', 'authn', 'authz', 'traffic', 'validate'] as const
export type Stage = (typeof STAGES)[number]

/** How a request proved who it is. */
export type AuthMethod = 'api-key' | 'oauth' | 'hmac' | 'mtls'

/** The one verified identity produced by the authn stage; later stages read only this. */
export interface Principal {
  /** Stable subject (consumer id, OAuth `sub`, certificate subject, ...). */
  subject: string
  consumerId: string
  tenant?: string | undefined
  method: AuthMethod
  scopes: readonly string[]
  roles: readonly string[]
  groups?: readonly string[]
  /** The credential's id (API key id, HMAC key id, OAuth client id), for usage and logs. */
  credentialId?: string | undefined
  /** Per-credential traffic overrides (API key settings), read by the rate-limit policy. */
  limits?: {
    rateLimit?: { limit: number; windowMs: number } | undefined
    quota?: { limit: number; period: 'day' | 'month' } | undefined
  }
  /** Extra verified claims (JWT claims, certificate fields) for owner checks and mapping. */
  claims?: Readonly<Record<string, unknown>>
}

/** An expected refusal returned by a policy; the pipeline turns it into a problem response. */
export interface Rejection {
  code: ErrorCode
  /** Safe for the client. Authentication failures use one generic detail. */
  detail?: string
  /** Precise reason, for logs and security events only — never sent to the client. */
  reason?: string
  headers?: Record<string, string>
  /** Extra problem members (e.g. `errors` for schema violations). */
  extra?: Record<string, unknown>
}

/** Services a policy may use; passed explicitly, never global. */
export interface PolicyDeps {
  logger: Logger
  events: SecurityEvents
  state: StateStore
  data: DataStore
  metrics: Metrics
  credentials: CredentialServices
  /** The gateway's own OAuth authorization server, when enabled (trusted by `oauth` with `local: true`). */
  localIssuer: LocalIssuer | undefined
  /** Directory for the gateway's own files (`./.portcullis` by default). */
  home: string
}

/** What a policy does for one request, built once per route at config load. */
export interface PolicyHandler {
  /**
   * Returns a Rejection for an expected refusal, null to pass. Throwing means a bug or an
   * outage: the request becomes a 500 and the error is logged.
   */
  onRequest(ctx: RequestContext): Rejection | null | Promise<Rejection | null>
  /** Called once the upstream (or the gateway) has answered. */
  onResponse?(ctx: RequestContext, status: number): void
  /** Frees timers and connections when a config is retired. */
  close?(): Promise<void> | void
}

/** A policy module: one entry in the registry. */
export interface Policy<S extends TSchema = TSchema> {
  name: string
  stage: Stage
  /** TypeBox schema of the policy's `config` block (validated at load, defaults applied). */
  schema: S
  /** True when the policy inspects the request body (the body is then buffered, capped). */
  readsBody?: boolean
  /** Semantic checks beyond the schema (e.g. role cycles), reported at load with pointer and line. */
  check?(config: Static<S>): { path: string; message: string }[]
  create(config: Static<S>, deps: PolicyDeps): PolicyHandler | Promise<PolicyHandler>
}
