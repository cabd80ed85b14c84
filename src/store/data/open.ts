/**
 * Storage URL → data store (CONTRACT.md "Storage URLs"): `sqlite:path`, `sqlite::memory:`,
 * `postgres://...` / `postgresql://...`. The one place that knows which adapter a URL means.
 */
import { isAbsolute, resolve } from 'node:path'
import { openPostgresDataStore } from './postgres.js'
import { openSqliteDataStore } from './sqlite.js'
import type { DataStore } from './types.js'

/** Options of {@link openDataStore}. */
export interface OpenDataStoreOptions {
  /** Directory that relative SQLite paths resolve against (default: the working directory). */
  baseDir?: string
  /** PostgreSQL only: schema to create and use (test isolation, shared databases). */
  schema?: string
  /** PostgreSQL only: pool size. */
  maxConnections?: number
  /** PostgreSQL only: errors of idle pooled connections. */
  onError?: (err: Error) => void
  /** Clock for default timestamps (tests). */
  now?: () => number
}

/** Where a storage URL points, without opening anything. */
export type DataStoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

/**
 * Parses a data storage URL. `sqlite:` takes a path (`sqlite:./.portcullis/data.db`,
 * `sqlite:///abs/file.db`) or `:memory:`. Throws a TypeError naming the accepted forms.
 */
export function parseDataStoreUrl(url: string, baseDir: string = process.cwd()): DataStoreTarget {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url }
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2)
    if (path === ':memory:') return { kind: 'sqlite', path }
    if (path === '') throw new TypeError('sqlite: URL needs a file path, e.g. sqlite:./.portcullis/data.db')
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(baseDir, path) }
  }
  throw new TypeError(`unsupported data store URL (expected sqlite:path, sqlite::memory: or postgres://...)`)
}

/** Opens and migrates the store a storage URL names. */
export async function openDataStore(url: string, options: OpenDataStoreOptions = {}): Promise<DataStore> {
  const target = parseDataStoreUrl(url, options.baseDir)
  if (target.kind === 'sqlite') return openSqliteDataStore(target.path, options.now ? { now: options.now } : {})
  return openPostgresDataStore(target.url, options)
}
