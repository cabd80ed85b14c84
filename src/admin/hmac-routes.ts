/**
 * Admin API: HMAC (RFC 9421) credentials. The secret is shown once; the store keeps it sealed
 * (AES-256-GCM under the gateway's secret key) because, unlike an API key, an HMAC secret must be
 * recoverable to verify a signature. Rotation issues a new key id and lets the old one expire
 * after a grace period, so clients switch at their own pace.
 * Devices holding an Ed25519 private key register its public key instead (`alg: "ed25519"`).
 */
import { createPublicKey } from 'node:crypto'
import { Type } from 'typebox'
import { GatewayError } from '../core/errors.js'
import { issueHmacCredential, generateHmacKeyId } from '../policies/hmac/credentials.js'
import type { HmacCredentialRecord } from '../store/data/types.js'
import { bodyParser, toEpochMs } from './validate.js'
import { sendJson, type AdminRoute } from './router.js'
import { audit, type AdminServices } from './services.js'

/** Stored form of an Ed25519 public key (the HMAC form is the SecretBox's `v1.` format). */
export const ED25519_MATERIAL_PREFIX = 'ed25519-spki:'

const parseCreate = bodyParser(
  Type.Object(
    {
      alg: Type.Union([Type.Literal('hmac-sha256'), Type.Literal('ed25519')], { default: 'hmac-sha256' }),
      publicKey: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'PEM (SPKI) Ed25519 public key, for alg ed25519' })),
      expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Integer({ minimum: 0 })])),
    },
    { additionalProperties: false },
  ),
)
const parseRotate = bodyParser(Type.Object({ graceMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000 }) }, { additionalProperties: false }))

function present(record: HmacCredentialRecord): Record<string, unknown> {
  const { secretCiphertext, ...rest } = record
  return { ...rest, alg: secretCiphertext.startsWith(ED25519_MATERIAL_PREFIX) ? 'ed25519' : 'hmac-sha256' }
}

export function hmacRoutes(services: AdminServices): AdminRoute[] {
  const { data, secretBox } = services
  return [
    {
      method: 'POST',
      path: '/admin/consumers/:id/hmac-credentials',
      async handle({ res, params, json, actor }) {
        const body = parseCreate(await json())
        if (!(await data.getConsumer(params.id!))) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such consumer.')
        const expiresAt = toEpochMs(body.expiresAt)
        if (body.alg === 'ed25519') {
          if (!body.publicKey) throw new GatewayError('ERR_ADMIN_INVALID', 'ed25519 credentials need publicKey (PEM).')
          let spki: Buffer
          try {
            const key = createPublicKey(body.publicKey)
            if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519')
            spki = key.export({ type: 'spki', format: 'der' })
          } catch {
            throw new GatewayError('ERR_ADMIN_INVALID', 'publicKey is not an Ed25519 public key in PEM.')
          }
          const record = await data.createHmacCredential({ keyId: generateHmacKeyId(), consumerId: params.id!, secretCiphertext: ED25519_MATERIAL_PREFIX + spki.toString('base64'), expiresAt })
          await audit(data, actor, 'hmac.create', record.keyId, { consumerId: record.consumerId, alg: 'ed25519' })
          return sendJson(res, 201, present(record))
        }
        const issued = issueHmacCredential(secretBox)
        const record = await data.createHmacCredential({ keyId: issued.keyId, consumerId: params.id!, secretCiphertext: issued.sealedSecret, expiresAt })
        await audit(data, actor, 'hmac.create', record.keyId, { consumerId: record.consumerId, alg: 'hmac-sha256' })
        sendJson(res, 201, { ...present(record), secret: issued.secret })
      },
    },
    {
      method: 'GET',
      path: '/admin/consumers/:id/hmac-credentials',
      handle: async ({ res, params }) => sendJson(res, 200, { items: (await data.listHmacCredentials(params.id!)).map(present) }),
    },
    {
      method: 'DELETE',
      path: '/admin/hmac-credentials/:keyId',
      async handle({ res, params, actor }) {
        const record = await data.revokeHmacCredential(params.keyId!)
        if (!record) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such credential.')
        services.invalidateHmac(record.keyId)
        await audit(data, actor, 'hmac.revoke', record.keyId)
        res.writeHead(204).end()
      },
    },
    {
      method: 'POST',
      path: '/admin/hmac-credentials/:keyId/rotate',
      async handle({ res, params, json, actor }) {
        const { graceMs } = parseRotate(await json())
        const old = await data.findHmacCredential(params.keyId!)
        if (!old || old.revokedAt !== undefined) throw new GatewayError('ERR_ADMIN_NOT_FOUND', 'No such active credential.')
        const issued = issueHmacCredential(secretBox)
        const record = await data.createHmacCredential({ keyId: issued.keyId, consumerId: old.consumerId, secretCiphertext: issued.sealedSecret, expiresAt: old.expiresAt })
        // The old key id keeps working until the grace period ends, then expires.
        await data.revokeHmacCredential(old.keyId, Date.now() + graceMs)
        services.invalidateHmac(old.keyId)
        await audit(data, actor, 'hmac.rotate', old.keyId, { newKeyId: record.keyId, graceMs })
        sendJson(res, 201, { ...present(record), secret: issued.secret, replaces: old.keyId })
      },
    },
  ]
}
