/**
 * SQLite storage of the demo API, with forward-only migrations. Tables are prefixed `demo_` and
 * migrations are tracked in their own table, so the demo API can share a database file with the
 * gateway's data store without either stepping on the other.
 */
import Database from 'better-sqlite3'

/** An open better-sqlite3 database. */
export type DemoDb = Database.Database

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE demo_stations (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     tenant TEXT NOT NULL,
     doc TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX demo_stations_tenant ON demo_stations (tenant, seq);
   CREATE TABLE demo_observations (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     station_id TEXT NOT NULL REFERENCES demo_stations (id) ON DELETE CASCADE,
     observed_at TEXT NOT NULL,
     doc TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX demo_observations_station ON demo_observations (station_id, seq);
   CREATE INDEX demo_observations_latest ON demo_observations (station_id, observed_at);
   CREATE TABLE demo_transfers (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     doc TEXT NOT NULL,
     amount_minor INTEGER NOT NULL,
     idempotency_scope TEXT,
     idempotency_key TEXT,
     request_hash TEXT,
     created_at TEXT NOT NULL,
     UNIQUE (idempotency_scope, idempotency_key)
   );`,
]

/** Opens (creating if needed) the database and brings its schema up to date. */
export function openDemoDb(path: string): DemoDb {
  const db = new Database(path)
  if (path !== ':memory:') db.pragma('journal_mode = WAL')
  // Deleting a station must delete its observations; SQLite only cascades with this on.
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  return db
}

function migrate(db: DemoDb): void {
  db.exec('CREATE TABLE IF NOT EXISTS demo_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
  const row = db.prepare('SELECT MAX(version) AS v FROM demo_migrations').get() as { v: number | null }
  const current = row.v ?? 0
  const apply = db.transaction((version: number, sql: string) => {
    db.exec(sql)
    db.prepare('INSERT INTO demo_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString())
  })
  for (let i = current; i < MIGRATIONS.length; i++) apply(i + 1, MIGRATIONS[i]!)
}
