/**
 * Admin API: API keys — create (the key is shown once, here), list, get, revoke, rotate with a
 * grace period. Responses never include the key's hash.
 */
import { Type } from 'typebox'
import { GatewayError } from '../core/errors.js'
import type { ApiKeyRecord } from '../store/data/types.js'
import { apiKeyState } from '../store/data/key-state.js'
import { generateApiKey } from '../policies/api-key/key-format.js'
import { bodyParser, toEpochMs } from './validate.js'
import { sendJson, type AdminRoute } from './router.js'
import { audit, type AdminServices } from './services.js'

const Scope = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:*/-]+$' })
const KeySettings = {
  scopes: Type.Optional(Type.Array(Scope, { maxItems: 100 })),
  allowCidrs: Type.Optional(Type.Array(Type.String({ format: 'ip-or-cidr' }), { maxItems: 100 })),
  allowedOrigins: Type.Optional(Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' }), { maxItems: 50 })),
  allowedApps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Integer({ minimum: 0 })])),
  rateLimit: Type.Optional(Type.Object({ limit: Type.Integer({ minimum: 1 }), windowMs: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })),
  quota: Type.Optional(Type.Object({ limit: Type.Integer({ minimum: 1 }), period: Type.Union([Type.Literal('day'), Type.Literal('month')]) }, { additionalProperties: false })),
  env: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('test')])),
}
const parseCreate = bodyParser(Type.Object(KeySettings, { additionalProperties: false }))
const parseRotate = bodyParser(Type.Object({ graceMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000 }) }, { additionalProperties: false }))

/** The public view of a key record: no hash, plus its current state. */
export function presentKey(record: ApiKeyRecord, now = Date.now()): Record<string, unknown> {
  const { hash: _hash, ...rest } = record
  return { ...rest, state: apiKeyState(record, now) }
}

export function keyRoutes(services: AdminServices): AdminRoute[] {
  const { data, apiKeys } = services
  const findKey = async (id: string): Promise<ApiKeyRecord> => {
    const record = await data.getApiKey(id)
    if (!record) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such key.')
    return record
  }
  return [
    {
      method: 'POST',
      path: '/admin/consumers/:id/keys',
      async handle({ res, params, json, actor }) {
        const body = parseCreate(await json())
        if (!(await data.getConsumer(params.id!))) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such consumer.')
        const generated = generateApiKey(body.env ?? 'live')
        const record = await data.createApiKey({ ...body, consumerId: params.id!, prefix: generated.prefix, hash: generated.hash, expiresAt: toEpochMs(body.expiresAt) })
        await audit(data, actor, 'key.create', record.id, { consumerId: record.consumerId, prefix: record.prefix, scopes: record.scopes })
        sendJson(res, 201, { ...presentKey(record), key: generated.key }, { location: `/admin/keys/${record.id}` })
      },
    },
    {
      method: 'GET',
      path: '/admin/consumers/:id/keys',
      async handle({ res, params }) {
        sendJson(res, 200, { items: (await data.listApiKeys(params.id!)).map((k) => presentKey(k)) })
      },
    },
    {
      method: 'GET',
      path: '/admin/keys',
      async handle({ res, query }) {
        sendJson(res, 200, { items: (await data.listApiKeys(query.get('consumer') ?? undefined)).map((k) => presentKey(k)) })
      },
    },
    { method: 'GET', path: '/admin/keys/:id', handle: async ({ res, params }) => sendJson(res, 200, presentKey(await findKey(params.id!))) },
    {
      method: 'DELETE',
      path: '/admin/keys/:id',
      async handle({ res, params, actor }) {
        const record = await data.revokeApiKey(params.id!)
        if (!record) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such key.')
        apiKeys.invalidate(record.id)
        await audit(data, actor, 'key.revoke', record.id, { prefix: record.prefix })
        res.writeHead(204).end()
      },
    },
    {
      method: 'POST',
      path: '/admin/keys/:id/rotate',
      async handle({ res, params, json, actor }) {
        const { graceMs } = parseRotate(await json())
        const old = await findKey(params.id!)
        const generated = generateApiKey(old.prefix.startsWith('pcl_test') ? 'test' : 'live')
        const { id: _id, hash: _hash, prefix: _prefix, createdAt: _created, revokedAt: _revoked, replacedBy: _by, graceUntil: _grace, lastUsedAt: _used, ...settings } = old
        const record = await data.rotateApiKey(old.id, { ...settings, prefix: generated.prefix, hash: generated.hash }, Date.now() + graceMs)
        if (!record) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such key.')
        apiKeys.invalidate(old.id)
        await audit(data, actor, 'key.rotate', old.id, { newKeyId: record.id, graceMs })
        sendJson(res, 201, { ...presentKey(record), key: generated.key, replaces: old.id, graceUntil: new Date(Date.now() + graceMs).toISOString() }, { location: `/admin/keys/${record.id}` })
      },
    },
  ]
}
