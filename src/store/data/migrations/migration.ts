/** The shape of one schema migration, shared by the dialect lists. */

/**
 * One versioned step. Versions are consecutive from 1; a released migration is never edited
 * (databases in the field already ran it): add a new one instead.
 */
export interface Migration {
  version: number
  name: string
  /** Statements run in order inside one transaction. */
  statements: readonly string[]
}
