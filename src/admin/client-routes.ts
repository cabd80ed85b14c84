/**
 * Admin API: OAuth clients — create (the secret is shown once; only its SHA-256 is stored: a
 * 256-bit random secret needs no slow hash), list, get, revoke.
 */
import { Type } from 'typebox'
import { randomBytes } from 'node:crypto'
import { GatewayError } from '../core/errors.js'
import { hashSecret } from '../auth-server/secrets.js'
import type { OAuthClientRecord } from '../store/data/types.js'
import { bodyParser } from './validate.js'
import { sendJson, type AdminRoute } from './router.js'
import { audit, type AdminServices } from './services.js'

const Scope = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:/-]+$' })
const parseCreate = bodyParser(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200 }),
      scopes: Type.Array(Scope, { maxItems: 100 }),
      grants: Type.Array(Type.Union([Type.Literal('client_credentials'), Type.Literal('authorization_code'), Type.Literal('refresh_token')]), { default: ['client_credentials'], minItems: 1 }),
      redirectUris: Type.Array(Type.String({ format: 'uri', pattern: '^https?://' }), { default: [], maxItems: 20 }),
      consumerId: Type.Optional(Type.String({ minLength: 1 })),
    },
    { additionalProperties: false },
  ),
)

function present(record: OAuthClientRecord): Record<string, unknown> {
  const { secretHash: _hash, ...rest } = record
  return rest
}

export function clientRoutes(services: AdminServices): AdminRoute[] {
  const { data } = services
  return [
    {
      method: 'POST',
      path: '/admin/clients',
      async handle({ res, json, actor }) {
        const body = parseCreate(await json())
        if (body.grants.includes('authorization_code') && body.redirectUris.length === 0) throw new GatewayError('ERR_ADMIN_INVALID', 'authorization_code clients need at least one redirect URI.')
        if (body.consumerId && !(await data.getConsumer(body.consumerId))) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such consumer.')
        const clientId = `pcc_${randomBytes(12).toString('base64url')}`
        const clientSecret = `pcs_${randomBytes(32).toString('base64url')}`
        const record = await data.createClient({ ...body, clientId, secretHash: hashSecret(clientSecret) })
        await audit(data, actor, 'client.create', clientId, { name: body.name, scopes: body.scopes, grants: body.grants })
        sendJson(res, 201, { ...present(record), clientSecret }, { location: `/admin/clients/${clientId}` })
      },
    },
    { method: 'GET', path: '/admin/clients', handle: async ({ res }) => sendJson(res, 200, { items: (await data.listClients()).map(present) }) },
    {
      method: 'GET',
      path: '/admin/clients/:id',
      async handle({ res, params }) {
        const record = await data.getClient(params.id!)
        if (!record) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such client.')
        sendJson(res, 200, present(record))
      },
    },
    {
      method: 'DELETE',
      path: '/admin/clients/:id',
      async handle({ res, params, actor }) {
        const record = await data.revokeClient(params.id!)
        if (!record) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such client.')
        await audit(data, actor, 'client.revoke', record.clientId)
        res.writeHead(204).end()
      },
    },
  ]
}
