/**
 * Small HTTP helpers for the OAuth endpoints: capped form parsing and RFC 6749 §5.2 JSON errors.
 * OAuth endpoints keep the OAuth error format (not RFC 9457 problems) because OAuth clients
 * parse `error`; see auth-vectors.md §8.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBodyCapped } from '../core/body.js'
import { GatewayError } from '../core/errors.js'

/** RFC 6749 §5.2 / RFC 7009 / RFC 6750 error codes used by the endpoints. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'

/** An OAuth error the endpoint answers with (status defaults to 400). */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode
  readonly status: number
  readonly headers: Record<string, string> | undefined
  constructor(error: OAuthErrorCode, description: string, status = 400, headers?: Record<string, string>) {
    super(description)
    this.error = error
    this.status = status
    this.headers = headers
  }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** Writes a JSON response that no cache may keep (tokens and token metadata). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    ...NO_STORE,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** Writes an RFC 6749 §5.2 error body. The description is restricted to the RFC's safe charset. */
export function sendOAuthError(res: ServerResponse, error: OAuthError): void {
  const description = error.message.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '')
  sendJson(res, error.status, { error: error.error, error_description: description }, error.headers)
}

/**
 * Reads an `application/x-www-form-urlencoded` body, capped at `maxBytes`. Every parameter may
 * appear at most once (RFC 6749 §3.1), which also defeats parameter-pollution tricks.
 */
export async function readForm(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Map<string, string>> {
  if (req.method !== 'POST') throw new OAuthError('invalid_request', 'The endpoint only accepts POST.', 405, { allow: 'POST' })
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded.', 400)
  }
  let body: Buffer
  try {
    body = await readBodyCapped(req, maxBytes, timeoutMs)
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'ERR_BODY_TOO_LARGE') {
      throw new OAuthError('invalid_request', 'The request body is too large.', 413)
    }
    throw new OAuthError('invalid_request', 'The request body could not be read.', 400)
  }
  const form = new Map<string, string>()
  // Invalid UTF-8 (raw or percent-encoded) decodes to U+FFFD: refuse it rather than guess.
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (name.includes('\uFFFD') || value.includes('\uFFFD')) throw new OAuthError('invalid_request', 'The body is not valid UTF-8.')
    if (form.has(name)) throw new OAuthError('invalid_request', `Parameter ${name} is repeated.`)
    form.set(name, value)
  }
  return form
}

/** Scope-token syntax of RFC 6749 §3.3: printable ASCII without space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** Splits a `scope` parameter into unique tokens; throws `invalid_scope` on bad syntax. */
export function parseScope(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const tokens = value.split(' ').filter((t) => t.length > 0)
  if (tokens.length > 64) throw new OAuthError('invalid_scope', 'Too many scopes requested.')
  for (const token of tokens) {
    if (token.length > 128 || !SCOPE_TOKEN.test(token)) throw new OAuthError('invalid_scope', 'The scope parameter is malformed.')
  }
  return [...new Set(tokens)]
}
