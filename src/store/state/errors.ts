/**
 * The one error a caller of the state store has to handle: the store cannot answer right now
 * (Redis down, timed out, or the circuit breaker is open). Policies map it to their
 * `onStoreError` setting; anything else thrown by a store is a bug.
 */
export class StateStoreUnavailableError extends Error {
  readonly code = 'ERR_STORE_UNAVAILABLE'
  /** When the breaker is open: milliseconds until the next recovery probe (a Retry-After hint). */
  readonly retryAfterMs: number

  constructor(message: string, retryAfterMs: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'StateStoreUnavailableError'
    this.retryAfterMs = retryAfterMs
  }
}

/** True for the state store's "unavailable" error (works across module copies). */
export function isStateStoreUnavailable(error: unknown): error is StateStoreUnavailableError {
  return error instanceof StateStoreUnavailableError || (error instanceof Error && (error as { code?: unknown }).code === 'ERR_STORE_UNAVAILABLE')
}
