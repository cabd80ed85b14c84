/**
 * Request schemas of the demo API (TypeBox → JSON Schema) and their Ajv validators. Every schema
 * is closed: an unknown member is a 422, never silently dropped. Free-text strings refuse control
 * characters, which also keeps every stored value representable in XML 1.0.
 */
import { Type, type Static, type TSchema } from 'typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import formats from 'ajv-formats'

// No C0 controls or DEL; a character class with a fixed range is linear-time on any input.
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]*$'

const Text = (minLength: number, maxLength: number): ReturnType<typeof Type.String> =>
  Type.String({ minLength, maxLength, pattern: PRINTABLE })

/** A tenant name; it appears in URL paths, so it is kept to a safe alphabet. */
export const TENANT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

/** The writable members of a station (POST body, PUT body, PATCH result). */
export const StationInput = Type.Object(
  {
    name: Text(1, 100),
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
    elevationM: Type.Optional(Type.Number({ minimum: -1000, maximum: 10000 })),
    tenant: Type.Optional(Type.String({ pattern: TENANT_PATTERN })),
    tags: Type.Optional(Type.Array(Text(1, 50), { maxItems: 20, uniqueItems: true })),
    // Free-form labels; keys are XML names so the XML representation can carry them as elements.
    metadata: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: Text(0, 200),
          propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$' },
          maxProperties: 20,
        },
      ),
    ),
  },
  { additionalProperties: false },
)
/** A validated station body. */
export type StationInput = Static<typeof StationInput>

/** An observation as posted by a client. */
export const ObservationInput = Type.Object(
  {
    temperatureC: Type.Number({ minimum: -100, maximum: 70 }),
    humidityPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    windKph: Type.Optional(Type.Number({ minimum: 0, maximum: 500 })),
    observedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)
/** A validated observation body. */
export type ObservationInput = Static<typeof ObservationInput>

/** A transfer request. Amounts are decimal with at most two places and are stored in minor units. */
export const TransferInput = Type.Object(
  {
    fromAccount: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }),
    toAccount: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }),
    // exclusiveMinimum > 0; the maximum keeps amount * 100 an exact integer in a double.
    amount: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000_000, multipleOf: 0.01 }),
    currency: Type.String({ format: 'iso4217' }),
    reference: Type.Optional(Text(1, 140)),
  },
  { additionalProperties: false },
)
/** A validated transfer body. */
export type TransferInput = Static<typeof TransferInput>

/** One schema violation, as sent in the `errors` member of a 422 problem. */
export interface SchemaViolation {
  /** RFC 6901 JSON pointer into the request body. */
  pointer: string
  message: string
}

/** A compiled validator that reports every violation, not just the first. */
export type Validator<T> = (value: unknown) => { ok: true; value: T } | { ok: false; errors: SchemaViolation[] }

/** The demo API's compiled validators, built once per API instance. */
export interface Validators {
  station: Validator<StationInput>
  observation: Validator<ObservationInput>
  transfer: Validator<TransferInput>
}

/** Compiles every request schema with one Ajv instance (allErrors, formats, ISO 4217 codes). */
export function createValidators(): Validators {
  // multipleOfPrecision absorbs binary floating-point noise (10.15 / 0.01 = 1014.999...).
  const ajv = new Ajv({ allErrors: true, strict: true, multipleOfPrecision: 8 })
  formats.default(ajv, ['date-time'])
  const currencies = new Set(Intl.supportedValuesOf('currency'))
  ajv.addFormat('iso4217', (code: string) => /^[A-Z]{3}$/.test(code) && currencies.has(code))
  return {
    station: compile<StationInput>(ajv, StationInput),
    observation: compile<ObservationInput>(ajv, ObservationInput),
    transfer: compile<TransferInput>(ajv, TransferInput),
  }
}

function compile<T>(ajv: Ajv, schema: TSchema): Validator<T> {
  const validate: ValidateFunction = ajv.compile(schema)
  return (value) => (validate(value) ? { ok: true, value: value as T } : { ok: false, errors: toViolations(validate.errors ?? []) })
}

/** Turns Ajv errors into pointer + message pairs that name the offending member itself. */
export function toViolations(errors: readonly ErrorObject[]): SchemaViolation[] {
  const out: SchemaViolation[] = []
  for (const e of errors) {
    // The pattern error under propertyNames is repeated by a summary error; keep the summary.
    if (e.schemaPath.includes('/propertyNames/')) continue
    const params = e.params as Record<string, unknown>
    let pointer = e.instancePath
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'additionalProperties') {
      pointer += '/' + escapePointer(String(params.additionalProperty))
      message = 'is not a known member'
    } else if (e.keyword === 'required') {
      pointer += '/' + escapePointer(String(params.missingProperty))
      message = 'is required'
    } else if (e.keyword === 'propertyNames') {
      pointer += '/' + escapePointer(String(params.propertyName))
      message = 'is not a valid member name'
    } else if (e.keyword === 'format' && params.format === 'iso4217') {
      message = 'must be an ISO 4217 currency code'
    } else if (e.keyword === 'multipleOf') {
      message = 'must have at most two decimal places'
    } else if (e.keyword === 'pattern' && params.pattern === PRINTABLE) {
      message = 'must not contain control characters'
    }
    out.push({ pointer, message })
  }
  return out
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}
