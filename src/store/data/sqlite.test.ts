import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { runDataStoreConformance } from './conformance.js'
import type { ConformanceStorage } from './conformance.js'
import { migrateSqlite, openSqliteDataStore } from './sqlite.js'
import type { DataStore } from './types.js'

async function createStorage(): Promise<ConformanceStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-sqlite-'))
  const path = join(dir, 'nested', 'data.db')
  const opened: DataStore[] = []
  const open = async () => {
    const store = openSqliteDataStore(path)
    opened.push(store)
    return store
  }
  const store = await open()
  return {
    store,
    reopen: open,
    async rawContains(needle) {
      // The database file plus its WAL and shared-memory files: everything SQLite wrote.
      const folder = join(dir, 'nested')
      const bytes = Buffer.from(needle, 'utf8')
      for (const name of await readdir(folder)) {
        if ((await readFile(join(folder, name))).includes(bytes)) return true
      }
      return false
    },
    async destroy() {
      for (const s of opened) await s.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

runDataStoreConformance('sqlite', { create: createStorage })

describe('sqlite adapter specifics', () => {
  it('uses WAL mode and records each migration once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-sqlite-'))
    const path = join(dir, 'data.db')
    try {
      await openSqliteDataStore(path).close()
      const store = openSqliteDataStore(path)
      await store.close()
      const raw = new Database(path, { readonly: true })
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
        assert.deepEqual(raw.prepare('SELECT version, name FROM schema_migrations').all(), [{ version: 1, name: 'initial' }])
      } finally {
        raw.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses a database whose schema is newer than the code', () => {
    const db = new Database(':memory:')
    try {
      migrateSqlite(db)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future')
      assert.throws(() => migrateSqlite(db), /newer than this build/)
    } finally {
      db.close()
    }
  })

  it('works in memory', async () => {
    const store = openSqliteDataStore(':memory:')
    try {
      const c = await store.createConsumer({ name: 'm' })
      assert.deepEqual(await store.getConsumer(c.id), c)
    } finally {
      await store.close()
    }
  })
})
