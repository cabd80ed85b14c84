/**
 * Admin API: consumers (who calls the API) — create, list, get, update.
 */
import { Type } from 'typebox'
import { GatewayError } from '../core/errors.js'
import { bodyParser } from './validate.js'
import { sendJson, type AdminRoute } from './router.js'
import { audit, type AdminServices } from './services.js'

const Name = Type.String({ minLength: 1, maxLength: 200 })
const Label = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' })
const parseCreate = bodyParser(
  Type.Object(
    {
      name: Name,
      tenant: Type.Optional(Label),
      roles: Type.Optional(Type.Array(Label, { maxItems: 50 })),
      groups: Type.Optional(Type.Array(Label, { maxItems: 50 })),
      metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false },
  ),
)
const parsePatch = bodyParser(
  Type.Object(
    {
      name: Type.Optional(Name),
      tenant: Type.Optional(Type.Union([Label, Type.Null()])),
      roles: Type.Optional(Type.Array(Label, { maxItems: 50 })),
      groups: Type.Optional(Type.Array(Label, { maxItems: 50 })),
      metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false },
  ),
)

export function consumerRoutes(services: AdminServices): AdminRoute[] {
  const { data } = services
  return [
    {
      method: 'POST',
      path: '/admin/consumers',
      async handle({ res, json, actor }) {
        const body = parseCreate(await json())
        const consumer = await data.createConsumer(body)
        await audit(data, actor, 'consumer.create', consumer.id, { name: consumer.name, tenant: consumer.tenant, roles: consumer.roles })
        sendJson(res, 201, consumer, { location: `/admin/consumers/${consumer.id}` })
      },
    },
    {
      method: 'GET',
      path: '/admin/consumers',
      async handle({ res, query }) {
        const limit = query.get('limit')
        sendJson(res, 200, { items: await data.listConsumers({ after: query.get('after') ?? undefined, limit: limit ? Number(limit) : undefined, tenant: query.get('tenant') ?? undefined }) })
      },
    },
    {
      method: 'GET',
      path: '/admin/consumers/:id',
      async handle({ res, params }) {
        const consumer = await data.getConsumer(params.id!)
        if (!consumer) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such consumer.')
        sendJson(res, 200, consumer)
      },
    },
    {
      method: 'PATCH',
      path: '/admin/consumers/:id',
      async handle({ res, params, json, actor }) {
        const patch = parsePatch(await json())
        const consumer = await data.updateConsumer(params.id!, patch)
        if (!consumer) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such consumer.')
        // Roles and tenant live in cached verified keys: drop this consumer's keys from the cache.
        for (const key of await data.listApiKeys(consumer.id)) services.apiKeys.invalidate(key.id)
        await audit(data, actor, 'consumer.update', consumer.id, { fields: Object.keys(patch) })
        sendJson(res, 200, consumer)
      },
    },
  ]
}
