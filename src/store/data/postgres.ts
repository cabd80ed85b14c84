/**
 * The PostgreSQL adapter (`pg` Pool), for deployments with several gateway instances. Every
 * atomic step is one statement (upserts with RETURNING) or one transaction; migrations run
 * under an advisory lock so instances starting together migrate once.
 */
import pg from 'pg'
import { DataStoreError } from './errors.js'
import type { Migration } from './migrations/migration.js'
import { POSTGRES_MIGRATIONS } from './migrations/postgres.js'
import { normalizeApiKey, normalizeAuditDetails, normalizeClient, normalizeConsumer, normalizeHmac } from './normalize.js'
import * as rows from './rows.js'
import type { Row } from './rows.js'
import { rollUp } from './usage-buckets.js'
import type * as T from './types.js'

/** Options of {@link openPostgresDataStore}. */
export interface PostgresDataStoreOptions {
  /** Schema to create (if missing) and use on every pooled connection; default: the server's search_path. */
  schema?: string
  /** Pool size (default 10). */
  maxConnections?: number
  /** Errors of idle pooled connections (the next query surfaces the outage anyway). */
  onError?: (err: Error) => void
  /** Clock for default timestamps (tests). */
  now?: () => number
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
const GRANULARITIES = ['minute', 'hour', 'day'] as const
const MAX = Number.MAX_SAFE_INTEGER

type Queryable = Pick<pg.PoolClient, 'query'>

function mapError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code
  if (code === '23505') return new DataStoreError('conflict', 'a record with this identity already exists', { cause: err })
  if (code === '23503') return new DataStoreError('not_found', 'a referenced record does not exist', { cause: err })
  return err
}

/** Runs every pending migration in one transaction under an advisory lock; returns the resulting version. */
export async function migratePostgres(client: Queryable, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<number> {
  const latest = migrations.at(-1)?.version ?? 0
  await client.query('BEGIN')
  try {
    // Per-schema lock: parallel test schemas migrate concurrently, instances of one deployment serialise.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':portcullis-migrations'))`)
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    )
    const found = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0].v)
    if (found > latest) throw new Error(`database schema version ${found} is newer than this build supports (${latest})`)
    for (const migration of migrations) {
      if (migration.version <= found) continue
      for (const sql of migration.statements) await client.query(sql)
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version, migration.name, Date.now(),
      ])
    }
    await client.query('COMMIT')
    return Math.max(found, latest)
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/**
 * Adds `-c search_path=<schema>` to the URL's startup `options`, so every pooled connection
 * uses the schema from its first statement (no per-connection query, nothing to race).
 */
function withSearchPath(url: string, schema: string | undefined): string {
  if (schema === undefined) return url
  const parsed = new URL(url)
  const existing = parsed.searchParams.get('options')
  parsed.searchParams.set('options', `${existing ? `${existing} ` : ''}-c search_path=${schema}`)
  return parsed.toString()
}

/** CREATE SCHEMA under a lock: concurrent IF NOT EXISTS still races on the catalog's unique index. */
async function createSchema(client: Queryable, schema: string): Promise<void> {
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('portcullis-schema:' || $1))`, [schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/** Connects to `url`, creates `options.schema` if given, migrates, and returns the store. */
export async function openPostgresDataStore(url: string, options: PostgresDataStoreOptions = {}): Promise<T.DataStore> {
  const { schema } = options
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new TypeError(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`)
  const pool = new pg.Pool({ connectionString: withSearchPath(url, schema), max: options.maxConnections ?? 10 })
  pool.on('error', (err) => options.onError?.(err))
  try {
    const client = await pool.connect()
    try {
      if (schema !== undefined) await createSchema(client, schema)
      await migratePostgres(client)
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw err
  }
  return createStore(pool, options.now ?? Date.now)
}

function createStore(pool: pg.Pool, now: () => number): T.DataStore {
  let closed = false

  async function query(sql: string, values: unknown[] = [], on: Queryable = pool): Promise<Row[]> {
    try {
      return (await on.query(sql, values)).rows as Row[]
    } catch (err) {
      throw mapError(err)
    }
  }

  async function transaction<R>(fn: (client: Queryable) => Promise<R>): Promise<R> {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw mapError(err)
    } finally {
      client.release()
    }
  }

  async function one<R>(sql: string, values: unknown[], map: (row: Row) => R): Promise<R | null> {
    const [row] = await query(sql, values)
    return row ? map(row) : null
  }

  const insert = {
    consumer: rows.insertSql('consumers', rows.CONSUMER_COLUMNS, 'postgres'),
    key: rows.insertSql('api_keys', rows.API_KEY_COLUMNS, 'postgres'),
    hmac: rows.insertSql('hmac_credentials', rows.HMAC_COLUMNS, 'postgres'),
    client: rows.insertSql('oauth_clients', rows.CLIENT_COLUMNS, 'postgres'),
  }

  return {
    kind: 'postgres',
    async ping() {
      await pool.query('SELECT 1')
    },
    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },

    async createConsumer(input) {
      const record = normalizeConsumer(input, now())
      await query(insert.consumer, rows.consumerValues(record))
      return record
    },
    async getConsumer(id) {
      return one('SELECT * FROM consumers WHERE id = $1', [id], rows.consumerFromRow)
    },
    async listConsumers(q = {}) {
      const found = await query(
        'SELECT * FROM consumers WHERE ($1::text IS NULL OR tenant = $1) AND id > $2 ORDER BY id LIMIT $3',
        [q.tenant ?? null, q.after ?? '', rows.pageLimit(q.limit)],
      )
      return found.map(rows.consumerFromRow)
    },
    async updateConsumer(id, patch) {
      // NULL parameters keep the column; tenant is cleared only by an explicit null (flag $7).
      const sql = `UPDATE consumers SET name = COALESCE($2, name),
        tenant = CASE WHEN $7::boolean THEN NULL ELSE COALESCE($3, tenant) END,
        roles_json = COALESCE($4, roles_json), groups_json = COALESCE($5, groups_json),
        metadata_json = COALESCE($6, metadata_json) WHERE id = $1 RETURNING *`
      return one(sql, [
        id, patch.name ?? null, patch.tenant ?? null, rows.toJson(patch.roles), rows.toJson(patch.groups),
        rows.toJson(patch.metadata), patch.tenant === null,
      ], rows.consumerFromRow)
    },

    async createApiKey(input) {
      const record = normalizeApiKey(input, now())
      await query(insert.key, rows.apiKeyValues(record))
      return record
    },
    async findApiKeyByHash(hash) {
      return one('SELECT * FROM api_keys WHERE hash = $1', [hash], rows.apiKeyFromRow)
    },
    async getApiKey(id) {
      return one('SELECT * FROM api_keys WHERE id = $1', [id], rows.apiKeyFromRow)
    },
    async listApiKeys(consumerId) {
      const found = await query(
        'SELECT * FROM api_keys WHERE ($1::text IS NULL OR consumer_id = $1) ORDER BY created_at, id',
        [consumerId ?? null],
      )
      return found.map(rows.apiKeyFromRow)
    },
    async revokeApiKey(id, at) {
      return one('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *', [at ?? now(), id], rows.apiKeyFromRow)
    },
    async rotateApiKey(oldId, newRecord, graceUntil) {
      const record = normalizeApiKey(newRecord, now())
      return transaction(async (client) => {
        // FOR UPDATE: two concurrent rotations of one key must not both succeed.
        const [old] = await query('SELECT revoked_at, replaced_by FROM api_keys WHERE id = $1 FOR UPDATE', [oldId], client)
        if (!old) return null
        if (old.revoked_at !== null) throw new DataStoreError('conflict', 'cannot rotate a revoked key')
        if (old.replaced_by !== null) throw new DataStoreError('conflict', 'key was already rotated; rotate its replacement')
        await query(insert.key, rows.apiKeyValues(record), client)
        await query('UPDATE api_keys SET replaced_by = $1, grace_until = $2 WHERE id = $3', [record.id, graceUntil, oldId], client)
        return record
      })
    },
    async touchApiKey(id, at) {
      await query('UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, 0), $1) WHERE id = $2', [at, id])
    },

    async createHmacCredential(input) {
      const record = normalizeHmac(input, now())
      await query(insert.hmac, rows.hmacValues(record))
      return record
    },
    async findHmacCredential(keyId) {
      return one('SELECT * FROM hmac_credentials WHERE key_id = $1', [keyId], rows.hmacFromRow)
    },
    async listHmacCredentials(consumerId) {
      const found = await query('SELECT * FROM hmac_credentials WHERE consumer_id = $1 ORDER BY created_at, key_id', [consumerId])
      return found.map(rows.hmacFromRow)
    },
    async revokeHmacCredential(keyId, at) {
      const sql = 'UPDATE hmac_credentials SET revoked_at = COALESCE(revoked_at, $1) WHERE key_id = $2 RETURNING *'
      return one(sql, [at ?? now(), keyId], rows.hmacFromRow)
    },

    async createClient(input) {
      const record = normalizeClient(input, now())
      await query(insert.client, rows.clientValues(record))
      return record
    },
    async getClient(clientId) {
      return one('SELECT * FROM oauth_clients WHERE client_id = $1', [clientId], rows.clientFromRow)
    },
    async listClients(q = {}) {
      const found = await query('SELECT * FROM oauth_clients WHERE client_id > $1 ORDER BY client_id LIMIT $2', [
        q.after ?? '', rows.pageLimit(q.limit),
      ])
      return found.map(rows.clientFromRow)
    },
    async revokeClient(clientId, at) {
      const sql = 'UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, $1) WHERE client_id = $2 RETURNING *'
      return one(sql, [at ?? now(), clientId], rows.clientFromRow)
    },

    async appendAudit(entry) {
      const [row] = await query(
        'INSERT INTO audit_log (at, actor, action, target, details_json) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [entry.at ?? now(), entry.actor, entry.action, entry.target, rows.toJson(normalizeAuditDetails(entry.details))],
      )
      return rows.auditFromRow(row as Row)
    },
    async listAudit(q = {}) {
      const found = await query(
        `SELECT * FROM audit_log WHERE id < $1 AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3)
         AND ($4::text IS NULL OR target = $4) ORDER BY id DESC LIMIT $5`,
        [rows.auditCursor(q.before), q.actor ?? null, q.action ?? null, q.target ?? null, rows.pageLimit(q.limit)],
      )
      return found.map(rows.auditFromRow)
    },

    async recordUsage(batch) {
      if (batch.length === 0) return
      await transaction(async (client) => {
        for (const g of GRANULARITIES) {
          const rolled = rollUp(batch, g)
          if (rolled.length === 0) continue
          // One statement per table: the arrays travel as six parameters whatever the batch size.
          await query(
            `INSERT INTO usage_${g} (key_id, consumer_id, route, status_class, bucket, count)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
             ON CONFLICT (key_id, consumer_id, route, status_class, bucket) DO UPDATE SET count = usage_${g}.count + EXCLUDED.count`,
            [
              rolled.map((r) => r.keyId), rolled.map((r) => r.consumerId), rolled.map((r) => r.route),
              rolled.map((r) => r.statusClass), rolled.map((r) => r.bucket), rolled.map((r) => r.count),
            ],
            client,
          )
        }
      })
    },
    async usage(q) {
      if (!GRANULARITIES.includes(q.granularity)) throw new TypeError(`unknown granularity ${String(q.granularity)}`)
      const filter = q.keyId !== undefined ? 'key_id = $3 AND ($4::text IS NULL OR consumer_id = $4)'
        : q.consumerId !== undefined ? '$3::text IS NULL AND consumer_id = $4' : '$3::text IS NULL AND $4::text IS NULL'
      const found = await query(
        `SELECT bucket, route, status_class, SUM(count) AS count FROM usage_${q.granularity}
         WHERE ${filter} AND bucket >= $1 AND bucket < $2
         GROUP BY bucket, route, status_class ORDER BY bucket, route, status_class`,
        [q.from ?? 0, q.to ?? MAX, q.keyId ?? null, q.consumerId ?? null],
      )
      return found.map(rows.usagePointFromRow)
    },
    async pruneUsage(before) {
      return transaction(async (client) => {
        let removed = 0
        for (const g of GRANULARITIES) {
          const limit = before[g]
          if (limit === undefined) continue
          const result = await client.query(`DELETE FROM usage_${g} WHERE bucket < $1`, [limit])
          removed += result.rowCount ?? 0
        }
        return removed
      })
    },

    async incrementQuota(subject, periodStart, by) {
      const [row] = await query(
        `INSERT INTO quota_counters (subject, period_start, count) VALUES ($1, $2, $3)
         ON CONFLICT (subject, period_start) DO UPDATE SET count = quota_counters.count + EXCLUDED.count RETURNING count`,
        [subject, periodStart, by],
      )
      return rows.num((row as Row).count)
    },
    async getQuota(subject, periodStart) {
      const [row] = await query('SELECT count FROM quota_counters WHERE subject = $1 AND period_start = $2', [subject, periodStart])
      return row ? rows.num(row.count) : 0
    },
    async pruneQuota(periodStart) {
      const result = await pool.query('DELETE FROM quota_counters WHERE period_start < $1', [periodStart])
      return result.rowCount ?? 0
    },
  }
}
