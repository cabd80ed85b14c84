import { describe, it, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { runDataStoreConformance } from './conformance.js'
import type { ConformanceStorage } from './conformance.js'
import { openDataStore } from './open.js'
import { migratePostgres, openPostgresDataStore } from './postgres.js'
import type { DataStore } from './types.js'

const url = process.env.PORTCULLIS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** The URL for messages, password masked. */
const shownUrl = url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (err) {
    return (err as Error).message
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Runs SQL on a connection of its own (schema setup, teardown, raw scans). */
async function withAdmin<R>(fn: (client: pg.Client) => Promise<R>): Promise<R> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function createStorage(): Promise<ConformanceStorage> {
  const schema = `pcl_test_${randomBytes(6).toString('hex')}`
  const opened: DataStore[] = []
  const open = async () => {
    const store = await openPostgresDataStore(url, { schema })
    opened.push(store)
    return store
  }
  const store = await open()
  return {
    store,
    reopen: open,
    async rawContains(needle) {
      return withAdmin(async (client) => {
        const tables = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        )
        assert.ok(tables.rows.length >= 9, 'expected every table of the schema')
        for (const { table_name: table } of tables.rows) {
          // The whole row as text: every column, whatever its type.
          const found = await client.query(`SELECT 1 FROM "${schema}"."${table}" t WHERE strpos(t::text, $1) > 0 LIMIT 1`, [needle])
          if (found.rows.length > 0) return true
        }
        return false
      })
    },
    async destroy() {
      for (const s of opened) await s.close()
      await withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
    },
  }
}

const unreachable = await reachable()
if (unreachable !== null && process.env.CI !== 'true') {
  console.warn(`\n!!! PostgreSQL at ${shownUrl} is unreachable (${unreachable}): SKIPPING the PostgreSQL data store tests !!!\n`)
  test(`PostgreSQL data store tests (skipped: PostgreSQL unreachable: ${unreachable})`, { skip: true }, () => {})
} else if (unreachable !== null) {
  test('PostgreSQL is reachable (CI=true requires it)', () => {
    assert.fail(`PostgreSQL at ${shownUrl} is unreachable: ${unreachable}`)
  })
} else {
  runDataStoreConformance('postgres', { create: createStorage })

  describe('postgres adapter specifics', () => {
    it('migrates once when several instances start together', async () => {
      const schema = `pcl_test_${randomBytes(6).toString('hex')}`
      const stores: DataStore[] = []
      try {
        stores.push(...(await Promise.all(Array.from({ length: 4 }, () => openDataStore(url, { schema })))))
        const versions = await withAdmin((c) => c.query(`SELECT version FROM "${schema}".schema_migrations`))
        assert.deepEqual(versions.rows, [{ version: 1 }])
        assert.equal(stores[0]!.kind, 'postgres')
      } finally {
        for (const s of stores) await s.close()
        await withAdmin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
      }
    })

    it('refuses a schema newer than the code and unsafe schema names', async () => {
      const schema = `pcl_test_${randomBytes(6).toString('hex')}`
      const store = await openPostgresDataStore(url, { schema })
      await store.close()
      try {
        await withAdmin(async (c) => {
          await c.query(`SET search_path TO "${schema}"`)
          await c.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
          await assert.rejects(migratePostgres(c), /newer than this build/)
        })
        await assert.rejects(openPostgresDataStore(url, { schema: 'x"; DROP TABLE y; --' }), TypeError)
      } finally {
        await withAdmin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
      }
    })
  })
}
