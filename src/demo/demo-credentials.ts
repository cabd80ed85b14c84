/**
 * Demo credentials, created through the real admin API (so they are hashed, sealed and audited
 * like any other): an admin consumer holding every credential kind, plus weaker `user` and
 * `guest` keys for the tour. Keys cannot be recovered once issued, so each start issues fresh ones.
 */
import { DEMO_SCOPES } from './demo-config.js'

export interface DemoCredentialSet {
  /** The consumer behind apiKey, oauthClient and hmac (for usage queries in the tour). */
  adminConsumerId: string
  apiKey: string
  oauthClient: { clientId: string; clientSecret: string }
  hmac: { keyId: string; secret: string }
  userKey: string
  guestKey: string
  acmeKey: string
}

export async function createDemoCredentials(adminUrl: string, adminToken: string): Promise<DemoCredentialSet> {
  const call = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (res.status !== 201) throw new Error(`demo setup: POST ${path} → ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  const consumer = (name: string, roles: string[], tenant = 'public') => call<{ id: string }>('/admin/consumers', { name, roles, tenant })
  const key = async (consumerId: string, scopes: string[]) => (await call<{ key: string }>(`/admin/consumers/${consumerId}/keys`, { scopes })).key

  const admin = await consumer('demo-admin', ['admin'])
  const user = await consumer('demo-user', ['user'])
  const guest = await consumer('demo-guest', ['guest'])
  const acme = await consumer('demo-acme-user', ['user'], 'acme')
  const client = await call<{ clientId: string; clientSecret: string }>('/admin/clients', { name: 'demo client', scopes: DEMO_SCOPES, grants: ['client_credentials'], consumerId: admin.id })
  const hmac = await call<{ keyId: string; secret: string }>(`/admin/consumers/${admin.id}/hmac-credentials`, {})
  return {
    adminConsumerId: admin.id,
    apiKey: await key(admin.id, DEMO_SCOPES),
    oauthClient: { clientId: client.clientId, clientSecret: client.clientSecret },
    hmac: { keyId: hmac.keyId, secret: hmac.secret },
    userKey: await key(user.id, ['stations:read', 'stations:write']),
    guestKey: await key(guest.id, ['stations:read']),
    acmeKey: await key(acme.id, ['stations:read']),
  }
}
