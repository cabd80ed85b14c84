/**
 * Record ids: a short type prefix (so an id in a log says what it names) and 96 random bits
 * (unguessable, so an id leaked in a URL does not let anyone enumerate its neighbours).
 */
import { randomBytes } from 'node:crypto'

/** A new random id such as `con_9f2c4e0d1a7b3c5e6f708192`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`
}
