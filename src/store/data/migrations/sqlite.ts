/**
 * SQLite schema migrations, oldest first. Timestamps are INTEGER epoch ms; lists and objects
 * are JSON text; usage tables use '' for an absent key or consumer so the primary key (which
 * would treat NULLs as distinct) merges them.
 */
import type { Migration } from './migration.js'

/** Every SQLite migration, in order. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    statements: [
      `CREATE TABLE consumers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tenant TEXT,
        roles_json TEXT NOT NULL,
        groups_json TEXT NOT NULL,
        metadata_json TEXT NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      `CREATE INDEX consumers_tenant ON consumers (tenant, id)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        consumer_id TEXT NOT NULL REFERENCES consumers (id),
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        scopes_json TEXT NOT NULL,
        allow_cidrs_json TEXT NOT NULL,
        allowed_origins_json TEXT NOT NULL,
        allowed_apps_json TEXT NOT NULL,
        rate_limit_json TEXT,
        quota_json TEXT,
        expires_at INTEGER,
        revoked_at INTEGER,
        replaced_by TEXT,
        grace_until INTEGER,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      )`,
      `CREATE INDEX api_keys_consumer ON api_keys (consumer_id, created_at)`,
      `CREATE TABLE hmac_credentials (
        key_id TEXT PRIMARY KEY,
        consumer_id TEXT NOT NULL REFERENCES consumers (id),
        secret_ciphertext TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      )`,
      `CREATE INDEX hmac_credentials_consumer ON hmac_credentials (consumer_id, created_at)`,
      `CREATE TABLE oauth_clients (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        scopes_json TEXT NOT NULL,
        grants_json TEXT NOT NULL,
        redirect_uris_json TEXT NOT NULL,
        consumer_id TEXT REFERENCES consumers (id),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      )`,
      `CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details_json TEXT NOT NULL
      )`,
      `CREATE INDEX audit_log_target ON audit_log (target, id)`,
      `CREATE INDEX audit_log_actor ON audit_log (actor, id)`,
      ...['minute', 'hour', 'day'].flatMap((g) => [
        `CREATE TABLE usage_${g} (
          key_id TEXT NOT NULL,
          consumer_id TEXT NOT NULL,
          route TEXT NOT NULL,
          status_class TEXT NOT NULL,
          bucket INTEGER NOT NULL,
          count INTEGER NOT NULL,
          PRIMARY KEY (key_id, consumer_id, route, status_class, bucket)
        ) WITHOUT ROWID`,
        `CREATE INDEX usage_${g}_consumer ON usage_${g} (consumer_id, bucket)`,
        `CREATE INDEX usage_${g}_bucket ON usage_${g} (bucket)`,
      ]),
      `CREATE TABLE quota_counters (
        subject TEXT NOT NULL,
        period_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (subject, period_start)
      ) WITHOUT ROWID`,
      `CREATE INDEX quota_counters_period ON quota_counters (period_start)`,
    ],
  },
]
