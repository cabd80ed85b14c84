/**
 * RFC 9457 problem details, as JSON or (when the client prefers XML) as
 * `application/problem+xml` in the RFC's `urn:ietf:rfc:7807` namespace.
 */
import type { ServerResponse } from 'node:http'
import { ERRORS, type ErrorCode } from './errors.js'

/** Base URI of the documentation pages that `type` members point at. */
export const PROBLEM_TYPE_BASE = 'https://portcullis.dev/problems/'

/** The members of a problem body. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  instance?: string
  code: ErrorCode
  [extension: string]: unknown
}

/** Builds a problem object from the error table. */
export function createProblem(code: ErrorCode, detail?: string, instance?: string, extra?: Record<string, unknown>): Problem {
  const { status, title } = ERRORS[code]
  const problem: Problem = { type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-'), title, status, code }
  if (detail !== undefined) problem.detail = detail
  if (instance !== undefined) problem.instance = instance
  return extra ? { ...extra, ...problem } : problem
}

/**
 * True when the Accept header ranks an XML type above JSON. Only the few media types that matter
 * are compared, so a hostile Accept header costs a bounded amount of work.
 */
export function prefersXml(accept: string | undefined): boolean {
  if (!accept || !accept.includes('xml')) return false
  let xml = -1
  let json = -1
  for (const part of accept.split(',', 32)) {
    const [rawType = '', ...params] = part.split(';')
    const type = rawType.trim().toLowerCase()
    let q = 1
    for (const p of params) {
      const [k, v] = p.split('=')
      if (k?.trim() === 'q' && v !== undefined) q = Number.parseFloat(v) || 0
    }
    if (type === 'application/xml' || type === 'application/problem+xml' || type === 'text/xml') xml = Math.max(xml, q)
    else if (type === 'application/json' || type === 'application/problem+json' || type === '*/*' || type === 'application/*') json = Math.max(json, type.includes('*') ? q - 0.001 : q)
  }
  return xml > 0 && xml > json
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
/** Escapes text for XML element content or attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c)
}

/** Serialises a problem in the representation the client prefers. */
export function serializeProblem(problem: Problem, xml: boolean): { body: string; contentType: string } {
  if (!xml) return { body: JSON.stringify(problem), contentType: 'application/problem+json' }
  const members = Object.entries(problem)
    .filter(([k, v]) => v !== undefined && /^[A-Za-z_][\w-]*$/.test(k))
    .map(([k, v]) => `<${k}>${escapeXml(typeof v === 'string' ? v : JSON.stringify(v))}</${k}>`)
    .join('')
  return {
    body: `<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">${members}</problem>`,
    contentType: 'application/problem+xml',
  }
}

/** Writes a problem response, unless headers were already sent (then it can only end the stream). */
export function sendProblem(
  res: ServerResponse,
  problem: Problem,
  options: { accept?: string | undefined; headers?: Record<string, string> | undefined; head?: boolean } = {},
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const { body, contentType } = serializeProblem(problem, prefersXml(options.accept))
  const headers: Record<string, string | number> = {
    ...options.headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  }
  res.writeHead(problem.status, headers)
  res.end(options.head ? undefined : body)
}
