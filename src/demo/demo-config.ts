/**
 * The configuration demo mode runs on: the embedded weather API behind every policy that exists,
 * so `npm start` shows the whole product. Written as data — the same shape as a YAML file.
 */
export interface DemoPorts {
  http: number
  admin: number
}

/** Builds the demo config for an upstream URL and ports. */
export function demoConfig(upstreamUrl: string, ports: DemoPorts, home: string): Record<string, unknown> {
  return {
    listen: { http: { host: '127.0.0.1', port: ports.http } },
    admin: { host: '127.0.0.1', port: ports.admin },
    storage: { state: 'memory', data: `sqlite:${home}/data.db` },
    upstreams: { demo: { url: upstreamUrl, connectTimeout: '2s', responseTimeout: '10s' } },
    policies: [
      { name: 'ip-filter', config: { allow: ['127.0.0.0/8', '::1/128'] } },
      { name: 'request-size', config: { maxBodyBytes: '256kb', maxUrlBytes: '4kb', maxQueryParams: 50 } },
    ],
    routes: [
      { name: 'transfers', match: { path: '/v1/transfers' }, upstream: 'demo' },
      { name: 'transfer', match: { path: '/v1/transfers/:id' }, upstream: 'demo' },
      { name: 'stations', match: { path: '/v1/*' }, upstream: 'demo', websocket: false },
    ],
  }
}
