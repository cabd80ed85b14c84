/**
 * Provisions benchmark credentials through a gateway target's admin API (the way an operator
 * would), and fetches OAuth tokens from its own authorization server.
 */
import { request } from 'undici'

/** An admin API client bound to one target. */
export interface BenchAdmin {
  /** POST /admin/consumers → consumer id. */
  createConsumer(input: { name: string; roles?: string[]; tenant?: string }): Promise<string>
  /** POST /admin/consumers/{id}/keys → the plaintext key. */
  createApiKey(consumerId: string, settings?: Record<string, unknown>): Promise<string>
  /** POST /admin/consumers/{id}/hmac-credentials → key id and secret. */
  createHmacCredential(consumerId: string): Promise<{ keyId: string; secret: string }>
  /** POST /admin/clients → OAuth client id and secret. */
  createClient(input: { name: string; scopes: string[]; consumerId: string }): Promise<{ clientId: string; clientSecret: string }>
  /** GET on the admin listener, parsed JSON (e.g. the benchmark target's `/bench/stats`). */
  get<T>(path: string): Promise<T>
}

/** Creates a client for `adminUrl` using the bearer `token`. */
export function benchAdmin(adminUrl: string, token: string): BenchAdmin {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await request(`${adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.body.text()
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`)
    return JSON.parse(text) as T
  }
  return {
    createConsumer: async (input) => (await call<{ id: string }>('POST', '/admin/consumers', input)).id,
    createApiKey: async (consumerId, settings = {}) => (await call<{ key: string }>('POST', `/admin/consumers/${consumerId}/keys`, settings)).key,
    createHmacCredential: (consumerId) => call('POST', `/admin/consumers/${consumerId}/hmac-credentials`, {}),
    createClient: (input) => call('POST', '/admin/clients', input),
    get: (path) => call('GET', path),
  }
}

/** A client_credentials access token from the gateway's own `/oauth/token` (client_secret_basic). */
export async function fetchClientCredentialsToken(gatewayUrl: string, client: { clientId: string; clientSecret: string }, scope: string): Promise<string> {
  const res = await request(`${gatewayUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
  const body = (await res.body.json()) as { access_token?: string }
  if (res.statusCode !== 200 || !body.access_token) throw new Error(`/oauth/token: ${res.statusCode} ${JSON.stringify(body)}`)
  return body.access_token
}
