/**
 * Configuration of the `oauth` authn policy (TypeBox; validated at load with defaults applied).
 */
import { Type, type Static } from 'typebox'

/** Asymmetric JWS algorithms an issuer may be pinned to. HS* is deliberately absent (RFC 8725 §3.2). */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const

/** One trusted external OpenID Connect / OAuth issuer. */
export const OAuthIssuerSchema = Type.Object(
  {
    /** Exact issuer identifier; discovery is `<issuer>/.well-known/openid-configuration`. */
    issuer: Type.String({ minLength: 1, maxLength: 2048 }),
    /** This API's identifier at that issuer: the token's `aud` must contain (one of) it. */
    audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
    /** Algorithms accepted from this issuer (pinned; the token's `alg` is never trusted alone). */
    algorithms: Type.Array(Type.Union(ASYMMETRIC_ALGORITHMS.map((a) => Type.Literal(a))), { minItems: 1 }),
    /** Skips discovery when given. */
    jwksUri: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Expected `typ` header. Default `at+jwt` (RFC 9068). Only lower it to `JWT` for issuers that
     * do not type their access tokens, and then `aud` is the only barrier against ID tokens.
     */
    typ: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)

/** Required scopes per request method. */
export const OAuthScopesSchema = Type.Object(
  {
    /** Needed by GET, HEAD and OPTIONS. */
    read: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Needed by every other method. */
    write: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Per-method override (`{ "DELETE": ["stations:admin"] }`), replacing read/write for that method. */
    byMethod: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z]{1,16}$' }), Type.Array(Type.String({ minLength: 1 })))),
  },
  { additionalProperties: false },
)

/** The `oauth` policy's config block. */
export const OAuthPolicySchema = Type.Object(
  {
    issuers: Type.Array(OAuthIssuerSchema, { default: [] }),
    /** Trust tokens from the gateway's own authorization server. */
    local: Type.Boolean({ default: true }),
    /** Audience expected in local tokens; default the authorization server's audience. */
    localAudience: Type.Optional(Type.String({ minLength: 1 })),
    /** When false, a request without a bearer token passes on (another authn policy may claim it). */
    required: Type.Boolean({ default: true }),
    clockSkewMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 30_000 }),
    /** Oldest `iat` accepted (also enables the "iat in the future" check); default 24 h. */
    maxTokenAgeMs: Type.Integer({ minimum: 1000, default: 86_400_000 }),
    scopes: Type.Optional(OAuthScopesSchema),
    /** Claim holding the tenant; dotted paths reach nested claims (`org.id`). */
    tenantClaim: Type.String({ minLength: 1, default: 'tenant' }),
    /** Claim holding roles (array or space-separated string); e.g. `realm_access.roles` for Keycloak. */
    rolesClaim: Type.String({ minLength: 1, default: 'roles' }),
    /** Claim holding scopes (space-separated string or array, e.g. `scp`). */
    scopeClaim: Type.String({ minLength: 1, default: 'scope' }),
    /** Minimum time between JWKS refetches caused by an unknown `kid` (per issuer). */
    jwksCooldownMs: Type.Integer({ minimum: 0, default: 30_000 }),
    /** A fetched JWKS is trusted this long before a background-free refetch on next use. */
    jwksMaxAgeMs: Type.Integer({ minimum: 1000, default: 600_000 }),
    /** Timeout of discovery and JWKS requests. */
    fetchTimeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
    /** How long a verified token's claims are cached (revocation is still checked every time). */
    verifiedCacheMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 60_000 }),
    verifiedCacheSize: Type.Integer({ minimum: 0, default: 10_000 }),
  },
  { additionalProperties: false },
)

/** Parsed config of the `oauth` policy. */
export type OAuthPolicyConfig = Static<typeof OAuthPolicySchema>
/** One configured external issuer. */
export type OAuthIssuerConfig = Static<typeof OAuthIssuerSchema>
