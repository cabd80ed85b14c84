/**
 * Keyset (cursor) pagination. A cursor is an opaque base64url token naming the last row a client
 * has seen; keyset pages stay correct while rows are inserted or deleted between requests, which
 * offset pagination does not.
 */
import { DemoError } from './respond.js'

/** Page size when `?limit=` is absent. */
export const DEFAULT_LIMIT = 20
/** Largest accepted `?limit=`. */
export const MAX_LIMIT = 100

/** A validated page request: at most `limit` rows with a sequence number above `after`. */
export interface PageRequest {
  limit: number
  after: number
}

/** Reads `?limit=` and `?cursor=`; a bad value is a malformed request (400). */
export function parsePageRequest(query: URLSearchParams): PageRequest {
  const rawLimit = query.get('limit')
  let limit = DEFAULT_LIMIT
  if (rawLimit !== null) {
    if (!/^\d{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT) {
      throw new DemoError('ERR_REQUEST_MALFORMED', `limit must be an integer from 1 to ${MAX_LIMIT}.`)
    }
    limit = Number(rawLimit)
  }
  const cursor = query.get('cursor')
  return { limit, after: cursor === null ? 0 : decodeCursor(cursor) }
}

/** Encodes the position after the row with sequence number `seq`. */
export function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ v: 1, after: seq })).toString('base64url')
}

function decodeCursor(cursor: string): number {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor()
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalidCursor()
  }
  const after = (decoded as { v?: unknown; after?: unknown } | null)?.after
  if ((decoded as { v?: unknown } | null)?.v !== 1 || !Number.isSafeInteger(after) || (after as number) < 0) throw invalidCursor()
  return after as number
}

function invalidCursor(): DemoError {
  return new DemoError('ERR_REQUEST_MALFORMED', 'cursor is not a cursor this API issued.')
}

/** A page of items as sent to clients. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/**
 * Builds a page from rows fetched with `LIMIT limit + 1`: the extra row only proves that a next
 * page exists. Returns the page and, when there is a next page, the `Link` header value.
 */
export function buildPage<R extends { seq: number }, T>(
  rows: R[],
  request: PageRequest,
  toItem: (row: R) => T,
  basePath: string,
): { page: Page<T>; link: string | undefined } {
  const more = rows.length > request.limit
  const kept = more ? rows.slice(0, request.limit) : rows
  const last = kept[kept.length - 1]
  const nextCursor = more && last ? encodeCursor(last.seq) : null
  const link = nextCursor ? `<${basePath}?limit=${request.limit}&cursor=${nextCursor}>; rel="next"` : undefined
  return { page: { items: kept.map(toItem), nextCursor }, link }
}
