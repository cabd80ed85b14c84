/**
 * PostgreSQL schema migrations, oldest first. Timestamps are BIGINT epoch ms; lists and objects
 * are JSON text; usage tables use '' for an absent key or consumer so the primary key (which
 * would treat NULLs as distinct) merges them.
 */
import type { Migration } from './migration.js'

/** Every PostgreSQL migration, in order. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
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
        created_at BIGINT NOT NULL
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
        expires_at BIGINT,
        revoked_at BIGINT,
        replaced_by TEXT,
        grace_until BIGINT,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      )`,
      `CREATE INDEX api_keys_consumer ON api_keys (consumer_id, created_at)`,
      `CREATE TABLE hmac_credentials (
        key_id TEXT PRIMARY KEY,
        consumer_id TEXT NOT NULL REFERENCES consumers (id),
        secret_ciphertext TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT
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
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      )`,
      `CREATE TABLE audit_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
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
          bucket BIGINT NOT NULL,
          count BIGINT NOT NULL,
          PRIMARY KEY (key_id, consumer_id, route, status_class, bucket)
        )`,
        `CREATE INDEX usage_${g}_consumer ON usage_${g} (consumer_id, bucket)`,
        `CREATE INDEX usage_${g}_bucket ON usage_${g} (bucket)`,
      ]),
      `CREATE TABLE quota_counters (
        subject TEXT NOT NULL,
        period_start BIGINT NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (subject, period_start)
      )`,
      `CREATE INDEX quota_counters_period ON quota_counters (period_start)`,
    ],
  },
]
