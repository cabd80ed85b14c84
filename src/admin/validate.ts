/**
 * Admin request bodies are validated with the same engine as the configuration (TypeBox + Ajv,
 * every error collected); a bad body is one 422 problem listing each JSON pointer.
 */
import addFormats from 'ajv-formats'
import { Ajv } from 'ajv'
import type { Static, TSchema } from 'typebox'
import { GatewayError } from '../core/errors.js'
import { isCidr } from '../core/cidr.js'

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
addFormats.default(ajv)
ajv.addFormat('ip-or-cidr', { type: 'string', validate: isCidr })

/** Compiles a schema into a parser that returns the typed body or throws a 422 GatewayError. */
export function bodyParser<S extends TSchema>(schema: S): (body: unknown) => Static<S> {
  const validate = ajv.compile(schema)
  return (body) => {
    if (validate(body)) return body as Static<S>
    const errors = (validate.errors ?? []).map((e) => ({
      pointer: e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.instancePath || '/',
      message: e.keyword === 'additionalProperties' ? 'unknown property' : (e.message ?? e.keyword),
    }))
    throw new GatewayError('ERR_ADMIN_INVALID', errors.map((e) => `${e.pointer}: ${e.message}`).join('; '), undefined, { errors })
  }
}

/** Admin bodies accept times as ISO 8601 strings or epoch milliseconds; stores keep epoch ms. */
export function toEpochMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined
  return typeof value === 'number' ? value : Date.parse(value)
}
