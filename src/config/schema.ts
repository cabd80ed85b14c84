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

const ListenerSchema = Type.Object(
  { host: Type.String({ default: '127.0.0.1' }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }) },
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
    listen: Type.Object({ http: ListenerSchema }, { additionalProperties: false, default: { http: {} } }),
    admin: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
        tokens: Type.Array(AdminTokenSchema, { default: [] }),
        publicMetrics: Type.Boolean({ default: false, description: 'Serve /metrics without the admin token' }),
      },
      { additionalProperties: false, default: {} },
    ),
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
