/**
 * The configuration demo mode runs on: the embedded weather API behind every policy that exists,
 * so `npm start` shows the whole product. Written as data — the same shape as a YAML file.
 */
export interface DemoPorts {
  http: number
  https: number
  admin: number
}

/** Every scope the demo API knows. */
export const DEMO_SCOPES = ['stations:read', 'stations:write', 'transfers:write']

const ROLES = { admin: { inherits: ['user'] }, user: { inherits: ['guest'] }, guest: {} }
const AUTHN = [
  { name: 'api-key' },
  { name: 'oauth', config: { local: true, scopes: { read: ['stations:read'], write: ['stations:write'] } } },
  { name: 'hmac' },
]

/** Builds the demo config for an upstream URL and ports. */
export function demoConfig(upstreamUrl: string, ports: DemoPorts, home: string): Record<string, unknown> {
  return {
    // HTTPS with a self-signed DEVELOPMENT certificate generated under the home folder.
    listen: { http: { host: '127.0.0.1', port: ports.http }, https: { host: '127.0.0.1', port: ports.https, devCertificate: true } },
    admin: { host: '127.0.0.1', port: ports.admin },
    storage: { state: 'memory', data: `sqlite:${home}/data.db` },
    oauth: { issuer: `http://127.0.0.1:${ports.http}` },
    upstreams: { demo: { url: upstreamUrl, connectTimeout: '2s', responseTimeout: '10s' } },
    policies: [
      { name: 'ip-filter', config: { allow: ['127.0.0.0/8', '::1/128'] } },
      { name: 'request-size', config: { maxBodyBytes: '256kb', maxUrlBytes: '4kb', maxQueryParams: 50 } },
      // 120 requests a minute per key (or per client IP when anonymous), with the RateLimit headers.
      { name: 'rate-limit', config: { limits: [{ name: 'per-key', key: ['key'], limit: 120, window: '1m' }] } },
      { name: 'injection-guard', config: { paranoia: 1 } },
    ],
    routes: [
      {
        // The payments-style endpoint: only an HMAC signature will do (RFC 9421, replay-proof).
        name: 'transfers',
        match: { path: '/v1/transfers', methods: ['POST'] },
        upstream: 'demo',
        policies: [{ name: 'hmac' }, { name: 'access-control', config: { roles: ROLES, rules: [{ roles: ['user'] }] } }],
      },
      {
        name: 'transfer',
        match: { path: '/v1/transfers/:id', methods: ['GET'] },
        upstream: 'demo',
        policies: [{ name: 'hmac' }, { name: 'access-control', config: { roles: ROLES, rules: [{ roles: ['user'] }] } }],
      },
      {
        // Tenant isolation: a credential of tenant A cannot list tenant B's stations.
        name: 'tenant-stations',
        match: { path: '/v1/tenants/:tenant/stations', methods: ['GET'] },
        upstream: 'demo',
        policies: [...AUTHN, { name: 'access-control', config: { roles: ROLES, rules: [{ roles: ['guest'] }], tenant: { from: 'path', name: 'tenant' } } }],
      },
      {
        name: 'stations',
        match: { path: '/v1/*' },
        upstream: 'demo',
        policies: [
          ...AUTHN,
          {
            name: 'access-control',
            config: {
              roles: ROLES,
              rules: [
                { methods: ['GET', 'HEAD', 'OPTIONS'], roles: ['guest'] },
                { methods: ['POST', 'PUT', 'PATCH'], roles: ['user'] },
                { methods: ['DELETE'], roles: ['admin'] },
              ],
            },
          },
        ],
      },
    ],
  }
}
