/**
 * SQL for stations. The writable members are stored as one canonical JSON document, so "did a
 * PUT change anything?" is a string comparison and an unchanged PUT leaves `updatedAt` alone.
 */
import { randomBytes } from 'node:crypto'
import type { DemoDb } from './db.js'
import type { PageRequest } from './pagination.js'
import type { StationInput } from './schemas.js'

/** The tenant of a station created without one. */
export const DEFAULT_TENANT = 'public'

/** A station as clients see it. */
export interface Station {
  id: string
  name: string
  latitude: number
  longitude: number
  elevationM?: number
  tenant: string
  tags?: string[]
  metadata?: Record<string, string>
  createdAt: string
  updatedAt: string
}

/** A station row with its sequence number (the pagination key). */
export interface StationRecord {
  seq: number
  station: Station
}

/** Station persistence. */
export interface StationStore {
  insert(input: StationInput): Station
  get(id: string): Station | undefined
  /** Replaces the writable members; returns the station (unchanged when the document is equal). */
  replace(id: string, input: StationInput): Station | undefined
  remove(id: string): boolean
  /** Up to `limit + 1` stations after the cursor, optionally of one tenant. */
  list(page: PageRequest, tenant?: string): StationRecord[]
  count(): number
}

interface Row {
  seq: number
  id: string
  doc: string
  created_at: string
  updated_at: string
}

/** The writable members of a station, in the canonical order used for storage and comparison. */
export function writableOf(station: Station | StationInput): StationInput {
  const doc: StationInput = { name: station.name, latitude: station.latitude, longitude: station.longitude }
  if (station.elevationM !== undefined) doc.elevationM = station.elevationM
  doc.tenant = station.tenant ?? DEFAULT_TENANT
  if (station.tags !== undefined) doc.tags = [...station.tags]
  if (station.metadata !== undefined) {
    const metadata = station.metadata as Record<string, string>
    const sorted: Record<string, string> = {}
    for (const key of Object.keys(metadata).sort()) sorted[key] = metadata[key]!
    doc.metadata = sorted
  }
  return doc
}

function toStation(row: Row): Station {
  const doc = JSON.parse(row.doc) as StationInput
  return { id: row.id, ...doc, tenant: doc.tenant ?? DEFAULT_TENANT, createdAt: row.created_at, updatedAt: row.updated_at } as Station
}

/** Creates the station store over an open demo database. */
export function createStationStore(db: DemoDb): StationStore {
  const insertStmt = db.prepare('INSERT INTO demo_stations (id, tenant, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
  const getStmt = db.prepare('SELECT seq, id, doc, created_at, updated_at FROM demo_stations WHERE id = ?')
  const updateStmt = db.prepare('UPDATE demo_stations SET tenant = ?, doc = ?, updated_at = ? WHERE id = ?')
  const deleteStmt = db.prepare('DELETE FROM demo_stations WHERE id = ?')
  const listStmt = db.prepare('SELECT seq, id, doc, created_at, updated_at FROM demo_stations WHERE seq > ? ORDER BY seq LIMIT ?')
  const listTenantStmt = db.prepare(
    'SELECT seq, id, doc, created_at, updated_at FROM demo_stations WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const countStmt = db.prepare('SELECT COUNT(*) AS n FROM demo_stations')

  return {
    insert(input) {
      const doc = writableOf(input)
      const now = new Date().toISOString()
      const id = 'stn_' + randomBytes(8).toString('hex')
      insertStmt.run(id, doc.tenant, JSON.stringify(doc), now, now)
      return { id, ...doc, createdAt: now, updatedAt: now } as Station
    },
    get(id) {
      const row = getStmt.get(id) as Row | undefined
      return row ? toStation(row) : undefined
    },
    replace(id, input) {
      const row = getStmt.get(id) as Row | undefined
      if (!row) return undefined
      const doc = writableOf(input)
      const text = JSON.stringify(doc)
      // Idempotence: the same document twice is one change, not two (same updatedAt, same ETag).
      if (text === row.doc) return toStation(row)
      const now = new Date().toISOString()
      updateStmt.run(doc.tenant, text, now, id)
      return toStation({ ...row, doc: text, updated_at: now })
    },
    remove(id) {
      return deleteStmt.run(id).changes > 0
    },
    list(page, tenant) {
      const rows = (tenant === undefined ? listStmt.all(page.after, page.limit + 1) : listTenantStmt.all(tenant, page.after, page.limit + 1)) as Row[]
      return rows.map((row) => ({ seq: row.seq, station: toStation(row) }))
    },
    count() {
      return (countStmt.get() as { n: number }).n
    },
  }
}
