/**
 * The SQLite adapter (better-sqlite3): the default store, one file under `./.portcullis/`.
 * WAL mode so readers never wait for the writer; every statement is compiled once here and
 * reused. better-sqlite3 is synchronous, so each call is atomic with respect to this process;
 * BEGIN IMMEDIATE + busy_timeout cover a second process on the same file.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { DataStoreError } from './errors.js'
import { SQLITE_MIGRATIONS } from './migrations/sqlite.js'
import type { Migration } from './migrations/migration.js'
import { normalizeApiKey, normalizeAuditDetails, normalizeClient, normalizeConsumer, normalizeHmac } from './normalize.js'
import * as rows from './rows.js'
import type { Row } from './rows.js'
import { rollUp } from './usage-buckets.js'
import type * as T from './types.js'

/** Options of {@link openSqliteDataStore}. */
export interface SqliteDataStoreOptions {
  /** How long a write waits for another process's lock before failing (default 5000). */
  busyTimeoutMs?: number
  /** Clock for default timestamps (tests). */
  now?: () => number
}

const MAX = Number.MAX_SAFE_INTEGER
const GRANULARITIES = ['minute', 'hour', 'day'] as const

/** Runs pending migrations in one IMMEDIATE transaction each; refuses a newer schema than the code knows. */
export function migrateSqlite(db: Database.Database, migrations: readonly Migration[] = SQLITE_MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const current = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').pluck()
  const latest = migrations.at(-1)?.version ?? 0
  const step = db.transaction((migration: Migration) => {
    // Re-read inside the lock: another process may have migrated while we waited.
    if ((current.get() as number) >= migration.version) return
    for (const sql of migration.statements) db.exec(sql)
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now())
  })
  const found = current.get() as number
  if (found > latest) throw new Error(`database schema version ${found} is newer than this build supports (${latest})`)
  for (const migration of migrations) if (migration.version > found) step.immediate(migration)
  return current.get() as number
}

function mapError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new DataStoreError('conflict', 'a record with this identity already exists', { cause: err })
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new DataStoreError('not_found', 'a referenced record does not exist', { cause: err })
  return err
}

/** Opens (creating if needed) a SQLite database at `path` (or `:memory:`) and migrates it. */
export function openSqliteDataStore(path: string, options: SqliteDataStoreOptions = {}): T.DataStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL')
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`)
    db.pragma('foreign_keys = ON')
    // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL')
    migrateSqlite(db)
    return createStore(db, options.now ?? Date.now)
  } catch (err) {
    db.close()
    throw err
  }
}

function createStore(db: Database.Database, now: () => number): T.DataStore {
  const s = {
    ping: db.prepare('SELECT 1').pluck(),
    insertConsumer: db.prepare(rows.insertSql('consumers', rows.CONSUMER_COLUMNS, 'sqlite')),
    getConsumer: db.prepare('SELECT * FROM consumers WHERE id = ?'),
    listConsumers: db.prepare('SELECT * FROM consumers WHERE id > ? ORDER BY id LIMIT ?'),
    listConsumersByTenant: db.prepare('SELECT * FROM consumers WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?'),
    updateConsumer: db.prepare(
      'UPDATE consumers SET name = ?, tenant = ?, roles_json = ?, groups_json = ?, metadata_json = ? WHERE id = ?',
    ),
    insertKey: db.prepare(rows.insertSql('api_keys', rows.API_KEY_COLUMNS, 'sqlite')),
    keyByHash: db.prepare('SELECT * FROM api_keys WHERE hash = ?'),
    keyById: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
    listKeys: db.prepare('SELECT * FROM api_keys ORDER BY created_at, id'),
    listKeysOf: db.prepare('SELECT * FROM api_keys WHERE consumer_id = ? ORDER BY created_at, id'),
    revokeKey: db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *'),
    replaceKey: db.prepare('UPDATE api_keys SET replaced_by = ?, grace_until = ? WHERE id = ?'),
    touchKey: db.prepare('UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?'),
    insertHmac: db.prepare(rows.insertSql('hmac_credentials', rows.HMAC_COLUMNS, 'sqlite')),
    getHmac: db.prepare('SELECT * FROM hmac_credentials WHERE key_id = ?'),
    listHmac: db.prepare('SELECT * FROM hmac_credentials WHERE consumer_id = ? ORDER BY created_at, key_id'),
    revokeHmac: db.prepare('UPDATE hmac_credentials SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ? RETURNING *'),
    insertClient: db.prepare(rows.insertSql('oauth_clients', rows.CLIENT_COLUMNS, 'sqlite')),
    getClient: db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?'),
    listClients: db.prepare('SELECT * FROM oauth_clients WHERE client_id > ? ORDER BY client_id LIMIT ?'),
    revokeClient: db.prepare('UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, ?) WHERE client_id = ? RETURNING *'),
    appendAudit: db.prepare(
      'INSERT INTO audit_log (at, actor, action, target, details_json) VALUES (?, ?, ?, ?, ?) RETURNING *',
    ),
    listAudit: db.prepare(
      `SELECT * FROM audit_log WHERE id < @before AND (@actor IS NULL OR actor = @actor)
       AND (@action IS NULL OR action = @action) AND (@target IS NULL OR target = @target) ORDER BY id DESC LIMIT @limit`,
    ),
    incrementQuota: db.prepare(
      `INSERT INTO quota_counters (subject, period_start, count) VALUES (?, ?, ?)
       ON CONFLICT (subject, period_start) DO UPDATE SET count = count + excluded.count RETURNING count`,
    ).pluck(),
    getQuota: db.prepare('SELECT count FROM quota_counters WHERE subject = ? AND period_start = ?').pluck(),
    pruneQuota: db.prepare('DELETE FROM quota_counters WHERE period_start < ?'),
  }
  const usage = Object.fromEntries(
    GRANULARITIES.map((g) => {
      const select = `SELECT bucket, route, status_class, SUM(count) AS count FROM usage_${g}`
      const tail = 'bucket >= @from AND bucket < @to GROUP BY bucket, route, status_class ORDER BY bucket, route, status_class'
      const statements = {
        upsert: db.prepare(
          `INSERT INTO usage_${g} (key_id, consumer_id, route, status_class, bucket, count) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (key_id, consumer_id, route, status_class, bucket) DO UPDATE SET count = count + excluded.count`,
        ),
        // One statement per filter shape, so SQLite plans each onto its own index.
        byKey: db.prepare(`${select} WHERE key_id = @key AND (@consumer IS NULL OR consumer_id = @consumer) AND ${tail}`),
        byConsumer: db.prepare(`${select} WHERE consumer_id = @consumer AND ${tail}`),
        all: db.prepare(`${select} WHERE ${tail}`),
        prune: db.prepare(`DELETE FROM usage_${g} WHERE bucket < ?`),
      }
      return [g, statements]
    }),
  ) as Record<T.UsageGranularity, Record<'upsert' | 'byKey' | 'byConsumer' | 'all' | 'prune', Database.Statement>>

  /** Runs a write, turning constraint violations into DataStoreError. */
  function write<R>(fn: () => R): R {
    try {
      return fn()
    } catch (err) {
      throw mapError(err)
    }
  }

  const rotate = db.transaction((oldId: string, record: T.ApiKeyRecord, graceUntil: number): T.ApiKeyRecord | null => {
    const old = s.keyById.get(oldId) as Row | undefined
    if (!old) return null
    if (old.revoked_at !== null) throw new DataStoreError('conflict', 'cannot rotate a revoked key')
    if (old.replaced_by !== null) throw new DataStoreError('conflict', 'key was already rotated; rotate its replacement')
    s.insertKey.run(...rows.apiKeyValues(record))
    s.replaceKey.run(record.id, graceUntil, oldId)
    return record
  })

  const recordUsage = db.transaction((batch: readonly T.UsageRow[]) => {
    for (const g of GRANULARITIES) {
      for (const r of rollUp(batch, g)) usage[g].upsert.run(r.keyId, r.consumerId, r.route, r.statusClass, r.bucket, r.count)
    }
  })

  const updateConsumer = db.transaction((id: string, patch: T.ConsumerPatch): T.ConsumerRecord | null => {
    const row = s.getConsumer.get(id) as Row | undefined
    if (!row) return null
    const current = rows.consumerFromRow(row)
    const next: T.ConsumerRecord = {
      ...current,
      name: patch.name ?? current.name,
      tenant: patch.tenant === null ? undefined : (patch.tenant ?? current.tenant),
      roles: patch.roles ? [...patch.roles] : current.roles,
      groups: patch.groups ? [...patch.groups] : current.groups,
      metadata: patch.metadata ? { ...patch.metadata } : current.metadata,
    }
    s.updateConsumer.run(next.name, next.tenant ?? null, rows.toJson(next.roles), rows.toJson(next.groups), rows.toJson(next.metadata), id)
    return next
  })

  const pruneUsage = db.transaction((before: T.UsagePruneBefore): number => {
    let removed = 0
    for (const g of GRANULARITIES) {
      const limit = before[g]
      if (limit !== undefined) removed += usage[g].prune.run(limit).changes
    }
    return removed
  })

  return {
    kind: 'sqlite',
    async ping() {
      s.ping.get()
    },
    async close() {
      if (db.open) db.close()
    },

    async createConsumer(input) {
      const record = normalizeConsumer(input, now())
      write(() => s.insertConsumer.run(...rows.consumerValues(record)))
      return record
    },
    async getConsumer(id) {
      const row = s.getConsumer.get(id) as Row | undefined
      return row ? rows.consumerFromRow(row) : null
    },
    async listConsumers(query = {}) {
      const after = query.after ?? ''
      const limit = rows.pageLimit(query.limit)
      const found = query.tenant === undefined ? s.listConsumers.all(after, limit) : s.listConsumersByTenant.all(query.tenant, after, limit)
      return (found as Row[]).map(rows.consumerFromRow)
    },
    async updateConsumer(id, patch) {
      return updateConsumer(id, patch)
    },

    async createApiKey(input) {
      const record = normalizeApiKey(input, now())
      write(() => s.insertKey.run(...rows.apiKeyValues(record)))
      return record
    },
    async findApiKeyByHash(hash) {
      const row = s.keyByHash.get(hash) as Row | undefined
      return row ? rows.apiKeyFromRow(row) : null
    },
    async getApiKey(id) {
      const row = s.keyById.get(id) as Row | undefined
      return row ? rows.apiKeyFromRow(row) : null
    },
    async listApiKeys(consumerId) {
      const found = consumerId === undefined ? s.listKeys.all() : s.listKeysOf.all(consumerId)
      return (found as Row[]).map(rows.apiKeyFromRow)
    },
    async revokeApiKey(id, at) {
      const row = s.revokeKey.get(at ?? now(), id) as Row | undefined
      return row ? rows.apiKeyFromRow(row) : null
    },
    async rotateApiKey(oldId, newRecord, graceUntil) {
      const record = normalizeApiKey(newRecord, now())
      return write(() => rotate.immediate(oldId, record, graceUntil))
    },
    async touchApiKey(id, at) {
      s.touchKey.run(at, id)
    },

    async createHmacCredential(input) {
      const record = normalizeHmac(input, now())
      write(() => s.insertHmac.run(...rows.hmacValues(record)))
      return record
    },
    async findHmacCredential(keyId) {
      const row = s.getHmac.get(keyId) as Row | undefined
      return row ? rows.hmacFromRow(row) : null
    },
    async listHmacCredentials(consumerId) {
      return (s.listHmac.all(consumerId) as Row[]).map(rows.hmacFromRow)
    },
    async revokeHmacCredential(keyId, at) {
      const row = s.revokeHmac.get(at ?? now(), keyId) as Row | undefined
      return row ? rows.hmacFromRow(row) : null
    },

    async createClient(input) {
      const record = normalizeClient(input, now())
      write(() => s.insertClient.run(...rows.clientValues(record)))
      return record
    },
    async getClient(clientId) {
      const row = s.getClient.get(clientId) as Row | undefined
      return row ? rows.clientFromRow(row) : null
    },
    async listClients(query = {}) {
      return (s.listClients.all(query.after ?? '', rows.pageLimit(query.limit)) as Row[]).map(rows.clientFromRow)
    },
    async revokeClient(clientId, at) {
      const row = s.revokeClient.get(at ?? now(), clientId) as Row | undefined
      return row ? rows.clientFromRow(row) : null
    },

    async appendAudit(entry) {
      const details = rows.toJson(normalizeAuditDetails(entry.details))
      const row = s.appendAudit.get(entry.at ?? now(), entry.actor, entry.action, entry.target, details) as Row
      return rows.auditFromRow(row)
    },
    async listAudit(query = {}) {
      const found = s.listAudit.all({
        before: rows.auditCursor(query.before),
        actor: query.actor ?? null,
        action: query.action ?? null,
        target: query.target ?? null,
        limit: rows.pageLimit(query.limit),
      })
      return (found as Row[]).map(rows.auditFromRow)
    },

    async recordUsage(batch) {
      if (batch.length > 0) recordUsage.immediate(batch)
    },
    async usage(query) {
      const statements = usage[query.granularity]
      if (!statements) throw new TypeError(`unknown granularity ${String(query.granularity)}`)
      const range = { from: query.from ?? 0, to: query.to ?? MAX }
      const found =
        query.keyId !== undefined
          ? statements.byKey.all({ ...range, key: query.keyId, consumer: query.consumerId ?? null })
          : query.consumerId !== undefined
            ? statements.byConsumer.all({ ...range, consumer: query.consumerId })
            : statements.all.all(range)
      return (found as Row[]).map(rows.usagePointFromRow)
    },
    async pruneUsage(before) {
      return pruneUsage.immediate(before)
    },

    async incrementQuota(subject, periodStart, by) {
      return s.incrementQuota.get(subject, periodStart, by) as number
    },
    async getQuota(subject, periodStart) {
      return (s.getQuota.get(subject, periodStart) as number | undefined) ?? 0
    },
    async pruneQuota(periodStart) {
      return s.pruneQuota.run(periodStart).changes
    },
  }
}
