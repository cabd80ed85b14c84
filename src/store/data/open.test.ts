import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDataStore, parseDataStoreUrl } from './open.js'

test('parses the storage URL forms of CONTRACT.md', () => {
  assert.deepEqual(parseDataStoreUrl('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' })
  assert.deepEqual(parseDataStoreUrl('sqlite:./.portcullis/data.db', '/srv/app'), { kind: 'sqlite', path: '/srv/app/.portcullis/data.db' })
  assert.deepEqual(parseDataStoreUrl('sqlite:data.db', '/srv/app'), { kind: 'sqlite', path: '/srv/app/data.db' })
  assert.deepEqual(parseDataStoreUrl('sqlite:/var/lib/p.db', '/srv/app'), { kind: 'sqlite', path: '/var/lib/p.db' })
  assert.deepEqual(parseDataStoreUrl('sqlite:///var/lib/p.db', '/srv/app'), { kind: 'sqlite', path: '/var/lib/p.db' })
  assert.deepEqual(parseDataStoreUrl('postgres://u@h:5432/db'), { kind: 'postgres', url: 'postgres://u@h:5432/db' })
  assert.deepEqual(parseDataStoreUrl('postgresql://u@h/db'), { kind: 'postgres', url: 'postgresql://u@h/db' })
})

test('refuses unknown or empty URLs without echoing them (they may hold passwords)', () => {
  assert.throws(() => parseDataStoreUrl('mysql://root:hunter2@h/db'), (err: Error) => err instanceof TypeError && !err.message.includes('hunter2'))
  assert.throws(() => parseDataStoreUrl('sqlite:'), TypeError)
  assert.throws(() => parseDataStoreUrl(''), TypeError)
})

test('opens a SQLite file relative to baseDir, creating missing folders', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-open-'))
  try {
    const store = await openDataStore('sqlite:./.portcullis/data.db', { baseDir: dir })
    assert.equal(store.kind, 'sqlite')
    await store.ping()
    await store.close()
    assert.ok((await stat(join(dir, '.portcullis', 'data.db'))).isFile())
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('opens an in-memory SQLite store', async () => {
  const store = await openDataStore('sqlite::memory:')
  await store.ping()
  await store.close()
})
