/**
 * The detection corpora as requests: the project's own (`corpora/`) and, when this checkout sits
 * next to it, the shared OWASP CRS regression corpus (`../shared/corpora/`). Used by the detection
 * benchmark and by tests that replay every case.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { RequestParts } from '../../src/policies/injection-guard/extract.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The project's attack and benign corpora. */
export const OWN_CORPORA = ['benign-api.jsonl', 'attacks-api.jsonl'].map((f) => `${ROOT}corpora/${f}`)
/** The shared CRS regression corpus; absent on a machine without `../shared`. */
export const SHARED_CRS_CORPUS = `${ROOT}../shared/corpora/crs-regression.jsonl`

/** One replayable request with its label. */
export interface CorpusCase {
  id: string
  /** Attack family (`sqli`, `rce`, ...) or `benign`. */
  type: string
  expect: 'attack' | 'benign'
  /** Paranoia level the expectation belongs to (null: untagged). */
  pl: number | null
  phase: 'request' | 'response'
  method: string
  uri: string
  headers: Record<string, string>
  body: Buffer
  /** Exact bytes to send, when the case must go on the wire unchanged. */
  raw: Buffer | undefined
  source: string
}

interface CorpusLine {
  id: string
  type?: string
  expect: 'attack' | 'benign'
  pl?: number | null
  phase?: 'request' | 'response'
  method?: string
  uri?: string
  headers?: Record<string, string>
  body?: string
  raw_b64?: string
}

/** Parses a raw HTTP/1.1 request (for in-process replay of `raw_b64` cases). */
function parseRawRequest(raw: Buffer): { method: string; uri: string; headers: Record<string, string>; body: Buffer } {
  let split = raw.indexOf('\r\n\r\n')
  let sepLength = 4
  if (split < 0) {
    split = raw.indexOf('\n\n')
    sepLength = 2
  }
  const head = raw.subarray(0, split < 0 ? raw.length : split).toString('latin1')
  const body = split < 0 ? Buffer.alloc(0) : raw.subarray(split + sepLength)
  const [requestLine = '', ...lines] = head.split(/\r?\n/)
  const [method = 'GET', uri = '/'] = requestLine.split(' ')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return { method, uri, headers, body }
}

/** Reads one JSONL corpus file. */
export function loadCorpus(file: string, source: string): CorpusCase[] {
  const cases: CorpusCase[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue
    const c = JSON.parse(line) as CorpusLine
    const raw = c.raw_b64 ? Buffer.from(c.raw_b64, 'base64') : undefined
    const parsed = raw ? parseRawRequest(raw) : undefined
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(parsed?.headers ?? c.headers ?? {})) headers[k.toLowerCase()] = v
    cases.push({
      id: c.id,
      type: c.type ?? (c.expect === 'benign' ? 'benign' : 'unknown'),
      expect: c.expect,
      pl: c.pl ?? null,
      phase: c.phase ?? 'request',
      method: parsed?.method ?? c.method ?? 'GET',
      uri: parsed?.uri ?? c.uri ?? '/',
      headers,
      body: parsed?.body ?? Buffer.from(c.body ?? '', 'utf8'),
      raw,
      source,
    })
  }
  return cases
}

/** Splits a request target into raw path and raw query. */
export function splitUri(uri: string): { path: string; rawQuery: string } {
  const q = uri.indexOf('?')
  return q < 0 ? { path: uri, rawQuery: '' } : { path: uri.slice(0, q), rawQuery: uri.slice(q + 1) }
}

/** The case as the injection guard reads it. */
export function requestParts(c: CorpusCase): RequestParts {
  return { method: c.method, ...splitUri(c.uri), headers: c.headers, body: c.body }
}

/** Every case of the given corpus files that exist. */
export function loadCorpora(files: readonly string[]): CorpusCase[] {
  return files.filter((f) => existsSync(f)).flatMap((f) => loadCorpus(f, f === SHARED_CRS_CORPUS ? 'crs' : 'own'))
}
