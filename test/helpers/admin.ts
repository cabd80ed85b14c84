/**
 * A tiny admin API client for tests.
 */
import { request } from 'undici'
import { TEST_ADMIN_TOKEN } from './gateway.js'

export function adminClient(adminUrl: string, token = TEST_ADMIN_TOKEN) {
  async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await request(`${adminUrl}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.body.text()
    return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T }
  }
  return {
    call,
    async createConsumer(input: Record<string, unknown> = { name: 'test consumer' }): Promise<{ id: string }> {
      const res = await call<{ id: string }>('POST', '/admin/consumers', input)
      if (res.status !== 201) throw new Error(`createConsumer: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body
    },
    async createKey(consumerId: string, settings: Record<string, unknown> = {}): Promise<{ id: string; key: string; prefix: string }> {
      const res = await call<{ id: string; key: string; prefix: string }>('POST', `/admin/consumers/${consumerId}/keys`, settings)
      if (res.status !== 201) throw new Error(`createKey: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body
    },
  }
}
