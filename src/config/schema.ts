/**
 * The configuration file's schema (TypeBox → JSON Schema). `portcullis schema` prints it for
 * editor autocompletion; Ajv validates against it with every error collected.
 * Policy `config` blocks are validated separately against each policy's own schema.
 */
import { Type, type Static } from 'typebox'

const Duration = (fallback: string) => Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?\\s*$' })], {
  description: 'Milliseconds, or a string such as "500ms", "30s", "5m"',
  default: fallback,
})
const Size = (fallback: string) => Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG][iI]?[bB]|[bB])?\\s*$' })], {
  description: 'Bytes, or a string such as "16kb", "1mb"',
  default: fallback,
})
const HttpMethod = Type.Union(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => Type.Literal(m)))

/** One policy instance on a route (or globally). */
export const PolicyInstanceSchema = Type.Object(
  {
    name: Type.String({ description: 'Registered policy name, e.g. ip-filter' }),
    enabled: Type.Boolean({ default: true }),
    mode: Type.Union([Type.Literal('enforce'), Type.Literal('monitor')], { default: 'enforce', description: 'monitor counts would-be rejections and lets them pass' }),
    methods: Type.Optional(Type.Array(HttpMethod, { minItems: 1, description: 'Apply only to these methods' })),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
)

const PathList = (description: string) =>
  Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { description })

const ListenerSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    mode: Type.Union([Type.Literal('serve'), Type.Literal('redirect'), Type.Literal('off')], {
      default: 'serve',
      description: 'Plain HTTP: serve requests, answer 308 to the HTTPS listener, or do not listen at all',
    }),
    credentials: Type.Union([Type.Literal('loopback-only'), Type.Literal('refuse'), Type.Literal('allow')], {
      default: 'loopback-only',
      description: 'Credentials (X-API-Key, Authorization, Signature) over plain HTTP: refused (ERR_INSECURE_TRANSPORT) unless the client is on loopback / always / never',
    }),
  },
  { additionalProperties: false },
)

const CertificateSchema = Type.Object(
  {
    cert: Type.String({ minLength: 1, description: 'PEM file: the leaf certificate (may be followed by its chain)' }),
    key: Type.String({ minLength: 1, description: 'PEM file: the private key' }),
    chain: Type.Optional(Type.String({ minLength: 1, description: 'PEM file: intermediate certificates, sent after the leaf' })),
    passphrase: Type.Optional(Type.String({ description: 'Passphrase of an encrypted key (use ${ENV})' })),
    serverNames: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'SNI names served by this certificate (default: its DNS subjectAltNames; "*.example.com" allowed)' })),
  },
  { additionalProperties: false },
)

const HttpsListenerSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
    certificates: Type.Array(CertificateSchema, { default: [], description: 'The first one is served when SNI matches none (or is absent)' }),
    devCertificate: Type.Boolean({ default: false, description: 'Generate a self-signed DEVELOPMENT certificate under the gateway home when no certificate is configured' }),
    minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2' }),
    http2: Type.Boolean({ default: true, description: 'Offer h2 via ALPN beside http/1.1' }),
    watch: Type.Boolean({ default: true, description: 'Reload certificates, CA bundle and CRLs when their files change (live connections are kept)' }),
    clientAuth: Type.Optional(
      Type.Object(
        {
          ca: PathList('PEM file(s): CAs that client certificates must chain to (requested at handshake, enforced per route by the mtls policy)'),
          crl: Type.Optional(PathList('PEM file(s): certificate revocation lists of those CAs')),
        },
        { additionalProperties: false },
      ),
    ),
    hsts: Type.Object(
      {
        maxAge: Duration('365d'),
        includeSubDomains: Type.Boolean({ default: false }),
        preload: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {}, description: 'Strict-Transport-Security on HTTPS responses; maxAge 0 disables it' },
    ),
  },
  { additionalProperties: false },
)

const AdminTokenSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256:<hex> of the token; the token itself never sits in config' }),
    roles: Type.Array(Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')]), { default: ['admin'] }),
  },
  { additionalProperties: false },
)

const UpstreamSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Origin of the upstream, e.g. http://127.0.0.1:3000' }),
    connectTimeout: Duration('5s'),
    responseTimeout: Duration('30s'),
    connections: Type.Integer({ minimum: 1, maximum: 10_000, default: 128 }),
    tls: Type.Optional(
      Type.Object(
        {
          ca: Type.Optional(PathList('PEM file(s): CAs trusted for this upstream instead of the public roots')),
          cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM file: client certificate presented to the upstream' })),
          key: Type.Optional(Type.String({ minLength: 1, description: 'PEM file: private key of that client certificate' })),
          passphrase: Type.Optional(Type.String()),
          serverName: Type.Optional(Type.String({ minLength: 1, description: 'SNI and certificate name to expect (default: the URL host)' })),
          verify: Type.Boolean({ default: true, description: 'Verify the upstream certificate; false is for throwaway test setups only' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

const RouteSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
    match: Type.Object(
      {
        host: Type.Optional(Type.String({ minLength: 1 })),
        path: Type.String({ pattern: '^/', description: 'find-my-way syntax: /v1/stations/:id, /v1/*' }),
        methods: Type.Optional(Type.Array(HttpMethod, { minItems: 1 })),
      },
      { additionalProperties: false },
    ),
    upstream: Type.String({ minLength: 1 }),
    websocket: Type.Boolean({ default: false, description: 'Allow WebSocket upgrades on this route' }),
    policies: Type.Array(PolicyInstanceSchema, { default: [] }),
  },
  { additionalProperties: false },
)

/** The whole configuration file. */
export const ConfigSchema = Type.Object(
  {
    listen: Type.Object({ http: ListenerSchema, https: Type.Optional(HttpsListenerSchema) }, { additionalProperties: false, default: { http: {} } }),
    admin: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
        tokens: Type.Array(AdminTokenSchema, { default: [] }),
        publicMetrics: Type.Boolean({ default: false, description: 'Serve /metrics without the admin token' }),
      },
      { additionalProperties: false, default: {} },
    ),
    oauth: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve /oauth/* and /.well-known/* on the gateway listener' }),
        issuer: Type.Optional(Type.String({ pattern: '^https?://[^/]+', description: 'Issuer identifier: the gateway\'s public base URL (default: derived from listen.http)' })),
        audience: Type.Optional(Type.String({ minLength: 1, description: 'aud of issued access tokens (default: the issuer)' })),
        accessTokenTtl: Duration('5m'),
        refreshTokenTtl: Duration('14d'),
        users: Type.Array(
          Type.Object(
            {
              username: Type.String({ minLength: 1, maxLength: 200 }),
              password: Type.String({ minLength: 12, description: 'Use ${ENV}: hashed with scrypt at load and never kept in clear' }),
              roles: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
              tenant: Type.Optional(Type.String({ minLength: 1 })),
              scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Ceiling of scopes this user may consent to' })),
            },
            { additionalProperties: false },
          ),
          { default: [], description: 'Local users for the authorization_code login page (enables that grant)' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    secretKey: Type.Optional(Type.String({ minLength: 1, description: 'Base64 32-byte key sealing HMAC secrets at rest (comma-separated: current first, then older). Usually "${PORTCULLIS_SECRET_KEY}".' })),
    trustedProxies: Type.Array(Type.String({ format: 'ip-or-cidr' }), { default: [], description: 'CIDRs whose X-Forwarded-For is believed' }),
    limits: Type.Object(
      {
        maxBodyBytes: Size('1mb'),
        maxHeaderBytes: Size('16kb'),
        headersTimeout: Duration('10s'),
        bodyTimeout: Duration('30s'),
        keepAliveTimeout: Duration('5s'),
        shutdownTimeout: Duration('30s'),
      },
      { additionalProperties: false, default: {} },
    ),
    storage: Type.Object(
      {
        state: Type.String({ default: 'memory', pattern: '^(memory|rediss?://.+)$' }),
        data: Type.String({ default: 'sqlite:.portcullis/data.db', pattern: '^(sqlite:.+|postgres(ql)?://.+)$' }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      { level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }) },
      { additionalProperties: false, default: {} },
    ),
    upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), UpstreamSchema),
    policies: Type.Array(PolicyInstanceSchema, { default: [], description: 'Applied to every route, before the route\'s own in each stage' }),
    routes: Type.Array(RouteSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

/** The configuration as written (before unit normalisation). */
export type RawConfig = Static<typeof ConfigSchema>
export type PolicyInstanceConfig = Static<typeof PolicyInstanceSchema>
