/**
 * The one error the data store throws for an expected refusal, so callers (admin API, CLI) can
 * map it to 409 / 404 without knowing which database produced it.
 */

/** Why a write was refused: a duplicate, or a reference to something that does not exist. */
export type DataStoreErrorCode = 'conflict' | 'not_found'

/** An expected write refusal (unique or foreign-key violation, invalid state transition). */
export class DataStoreError extends Error {
  /** `conflict` → 409, `not_found` → 404 (or 422 when the missing thing was referenced). */
  readonly code: DataStoreErrorCode
  constructor(code: DataStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DataStoreError'
    this.code = code
  }
}

/** True when `err` is a {@link DataStoreError} with the given code (or any code). */
export function isDataStoreError(err: unknown, code?: DataStoreErrorCode): err is DataStoreError {
  return err instanceof DataStoreError && (code === undefined || err.code === code)
}
