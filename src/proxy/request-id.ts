/**
 * Request ids: accepted from the client when well-formed (so a trace can span systems), otherwise
 * generated. The accepted alphabet keeps ids safe to echo into headers and logs.
 */
import { randomUUID } from 'node:crypto'

const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/

export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && WELL_FORMED.test(incoming) ? incoming : randomUUID()
}
