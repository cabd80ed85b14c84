/**
 * Keys of external OpenID Connect / OAuth issuers: discovery (OIDC Discovery, then RFC 8414),
 * then jose's remote JWKS with a cache and a cooldown that rate-limits refetches caused by
 * unknown `kid` values (so random kids cannot turn the gateway into a JWKS-hammering proxy).
 * One resolver per issuer: keys fetched for issuer A can never verify a token claiming issuer B
 * (RFC 8725 §3.8). Network failures become {@link IssuerUnavailable}, not "invalid token".
 */
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose'
import type { OAuthIssuerConfig } from './schema.js'

/** The issuer's metadata or keys could not be fetched (an outage, not a bad token). */
export class IssuerUnavailable extends Error {}

/** Fetch and cache settings shared by all external issuers of one policy instance. */
export interface RemoteIssuerOptions {
  cooldownMs: number
  maxAgeMs: number
  timeoutMs: number
}

/** A lazily discovered key resolver for one issuer. */
export interface RemoteIssuer {
  readonly issuer: string
  getKey: JWTVerifyGetKey
  /** Resolves the jwks_uri (runs discovery once; failures are retried after the cooldown). */
  jwksUri(): Promise<string>
}

const MAX_METADATA_BYTES = 64 * 1024

/** Creates the resolver; nothing is fetched until the first token from this issuer arrives. */
export function createRemoteIssuer(config: OAuthIssuerConfig, options: RemoteIssuerOptions): RemoteIssuer {
  let discovered: Promise<string> | undefined
  let failedAtMs = -Infinity
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined

  const jwksUri = (): Promise<string> => {
    if (config.jwksUri) return Promise.resolve(config.jwksUri)
    if (!discovered) {
      // A failed discovery is remembered for the cooldown: no fetch storm while the IdP is down.
      if (Date.now() - failedAtMs < options.cooldownMs) return Promise.reject(new IssuerUnavailable(`discovery for ${config.issuer} failed recently`))
      discovered = discover(config.issuer, options.timeoutMs).catch((error: unknown) => {
        discovered = undefined
        failedAtMs = Date.now()
        throw error instanceof IssuerUnavailable ? error : new IssuerUnavailable(String(error))
      })
    }
    return discovered
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!jwks) {
      const uri = await jwksUri()
      jwks = createRemoteJWKSet(new URL(uri), {
        cooldownDuration: options.cooldownMs,
        cacheMaxAge: options.maxAgeMs,
        timeoutDuration: options.timeoutMs,
      })
    }
    try {
      return await jwks(header, token)
    } catch (error) {
      // Key-selection failures are the token's fault; anything else (network, bad JSON) is an outage.
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported ||
        error instanceof errors.JOSEAlgNotAllowed
      ) {
        throw error
      }
      throw new IssuerUnavailable(`JWKS of ${config.issuer} unavailable: ${(error as Error).message}`)
    }
  }

  return { issuer: config.issuer, getKey, jwksUri }
}

/** Fetches the issuer's metadata and returns its jwks_uri after checking the issuer matches. */
async function discover(issuer: string, timeoutMs: number): Promise<string> {
  const base = new URL(issuer)
  const trimmed = issuer.replace(/\/+$/, '')
  const path = base.pathname.replace(/\/+$/, '')
  const candidates = [
    `${trimmed}/.well-known/openid-configuration`,
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    `${base.origin}/.well-known/oauth-authorization-server${path}`,
  ]
  let lastError = 'no metadata'
  for (const url of candidates) {
    const metadata = await fetchJson(url, timeoutMs)
    if (!metadata) {
      lastError = `no metadata at ${url}`
      continue
    }
    // OIDC Discovery §4.3 / RFC 8414 §3.3: the issuer in the document must be identical.
    if (metadata['issuer'] !== issuer) throw new IssuerUnavailable(`metadata issuer mismatch at ${url}`)
    const uri = metadata['jwks_uri']
    if (typeof uri !== 'string') throw new IssuerUnavailable(`metadata at ${url} has no jwks_uri`)
    const parsed = new URL(uri)
    // An https issuer must not send us to plain-http keys (downgrade of the key channel).
    if (base.protocol === 'https:' && parsed.protocol !== 'https:') throw new IssuerUnavailable('jwks_uri is not https')
    return parsed.href
  }
  throw new IssuerUnavailable(lastError)
}

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown> | null> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })
  if (response.status === 404) {
    await response.body?.cancel()
    return null
  }
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new IssuerUnavailable(`HTTP ${response.status} from ${url}`)
  }
  const buffer = Buffer.from(await response.arrayBuffer())
  if (buffer.length > MAX_METADATA_BYTES) throw new IssuerUnavailable(`metadata at ${url} is too large`)
  const value: unknown = JSON.parse(buffer.toString('utf8'))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new IssuerUnavailable(`metadata at ${url} is not an object`)
  return value as Record<string, unknown>
}
