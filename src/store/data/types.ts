/**
 * The durable data seam (consumers, keys, clients, audit, usage): SQLite or PostgreSQL.
 * PLACEHOLDER shape owned by the data-store work; extend freely.
 */
export interface DataStore {
  /** `sqlite` or `postgres`, for logs and metrics. */
  readonly kind: string
  ping(): Promise<void>
  close(): Promise<void>
}
