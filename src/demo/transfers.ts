/**
 * A payments-style endpoint: `POST /v1/transfers` and `GET /v1/transfers/{id}`. Amounts are kept
 * in integer minor units so no floating-point rounding ever touches money. An `Idempotency-Key`
 * header makes retries safe: the same key with the same body replays the first answer, the same
 * key with a different body is a 409. Keys are scoped to the consumer the gateway forwards.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readBody, type BodyLimits } from './body.js'
import type { DemoDb } from './db.js'
import { DemoError, sendRepresentation } from './respond.js'
import type { RouteSpec } from './router.js'
import { TransferInput, type SchemaViolation, type Validator } from './schemas.js'

/** A transfer as clients see it. */
export interface Transfer {
  id: string
  fromAccount: string
  toAccount: string
  amount: number
  currency: string
  reference?: string
  status: 'completed'
  createdAt: string
}

/** Dependencies of the transfer routes. */
export interface TransferRouteDeps {
  db: DemoDb
  validate: Validator<TransferInput>
  limits: BodyLimits
}

// Printable ASCII without spaces; an sf-string's quotes are tolerated and removed.
const IDEMPOTENCY_KEY = /^"?([\x21\x23-\x7e]{1,255})"?$/

function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null
  const match = typeof header === 'string' ? IDEMPOTENCY_KEY.exec(header) : null
  if (!match) throw new DemoError('ERR_REQUEST_MALFORMED', 'Idempotency-Key must be 1 to 255 printable ASCII characters.')
  return match[1]!
}

function schemaInvalid(errors: SchemaViolation[]): DemoError {
  return new DemoError('ERR_SCHEMA_INVALID', 'The transfer does not match the schema.', { extra: { errors } })
}

/** The transfer routes. */
export function transferRoutes(deps: TransferRouteDeps): RouteSpec[] {
  const { db, validate, limits } = deps
  const insertStmt = db.prepare(
    'INSERT INTO demo_transfers (id, doc, amount_minor, idempotency_scope, idempotency_key, request_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const getStmt = db.prepare('SELECT doc FROM demo_transfers WHERE id = ?')
  const byKeyStmt = db.prepare('SELECT doc, request_hash FROM demo_transfers WHERE idempotency_scope = ? AND idempotency_key = ?')

  return [
    {
      path: '/v1/transfers',
      methods: {
        POST: async (ctx) => {
          const key = idempotencyKeyOf(ctx.req.headers['idempotency-key'])
          const body = await readBody(ctx, { formats: ['json', 'xml'], xmlRoot: 'transfer', schema: TransferInput }, limits)
          const result = validate(body.value)
          if (!result.ok) throw schemaInvalid(result.errors)
          if (result.value.fromAccount === result.value.toAccount) {
            throw schemaInvalid([{ pointer: '/toAccount', message: 'must differ from fromAccount' }])
          }
          const input = result.value
          const amountMinor = Math.round(input.amount * 100)
          // Canonical form of what was asked, so a retry with reordered members still matches.
          const canonical = JSON.stringify([input.fromAccount, input.toAccount, amountMinor, input.currency, input.reference ?? null])
          const requestHash = createHash('sha256').update(canonical).digest('base64url')
          const scope = key === null ? null : String(ctx.req.headers['x-portcullis-consumer'] ?? '')
          if (key !== null) {
            const previous = byKeyStmt.get(scope, key) as { doc: string; request_hash: string } | undefined
            if (previous) {
              if (previous.request_hash !== requestHash) {
                throw new DemoError('ERR_CONFLICT', 'This Idempotency-Key was already used with a different request.')
              }
              const transfer = JSON.parse(previous.doc) as Transfer
              const headers = { location: `/v1/transfers/${transfer.id}`, 'idempotent-replayed': 'true' }
              sendRepresentation(ctx, 201, 'transfer', transfer, { headers })
              return
            }
          }
          const transfer: Transfer = {
            id: 'trf_' + randomBytes(8).toString('hex'),
            fromAccount: input.fromAccount,
            toAccount: input.toAccount,
            amount: amountMinor / 100,
            currency: input.currency,
            ...(input.reference !== undefined && { reference: input.reference }),
            status: 'completed',
            createdAt: new Date().toISOString(),
          }
          insertStmt.run(transfer.id, JSON.stringify(transfer), amountMinor, scope, key, requestHash, transfer.createdAt)
          sendRepresentation(ctx, 201, 'transfer', transfer, { headers: { location: `/v1/transfers/${transfer.id}` } })
        },
      },
    },
    {
      path: '/v1/transfers/:id',
      methods: {
        GET: (ctx) => {
          const row = getStmt.get(ctx.params.id ?? '') as { doc: string } | undefined
          if (!row) throw new DemoError('ERR_NOT_FOUND', 'No transfer has this id.')
          sendRepresentation(ctx, 200, 'transfer', JSON.parse(row.doc) as Transfer)
        },
      },
    },
  ]
}
