/**
 * Client-side RFC 9421 signing, the counterpart of the gateway's `hmac` policy (and what
 * `portcullis sign` uses). It shares the gateway's signature-base code, so signer and verifier
 * canonicalise identically; the RFC vectors pin that code to the standard.
 *
 * The URL is normalised the way `fetch` will send it (WHATWG URL: host lower-cased, default port
 * dropped, non-ASCII path percent-encoded), because the gateway verifies what arrives on the wire.
 */
import { createHmac, createPrivateKey, randomFillSync, sign as edSign, type KeyObject } from 'node:crypto'
import type { Item, Parameters } from 'structured-headers'
import { serializeDictionary } from '../policies/hmac/sf-serialize.js'
import { buildSignatureBase, serializeSignatureParams, type ComponentIdentifier } from '../policies/hmac/signature-base.js'
import { createContentDigest, type DigestAlgorithm } from '../policies/hmac/content-digest.js'
import { parseComponentSpec } from '../policies/hmac/verify.js'

/** Signature algorithms the signer produces. */
export type SigningAlgorithm = 'hmac-sha256' | 'ed25519'

/** How to sign (everything except the request itself). */
export interface SignOptions {
  keyId: string
  /** HMAC: the secret string as issued (its UTF-8 bytes are the key) or raw bytes. ed25519: a private KeyObject or PEM. */
  secret: string | Uint8Array | KeyObject
  alg?: SigningAlgorithm
  /** Covered components; default `@method`, `@target-uri`, plus `content-type` / `content-digest` when present. */
  components?: readonly string[]
  /** Creation time in UNIX seconds; default now. */
  created?: number
  /** Default: 24 random bytes, base64url. `false` omits it (only for verifiers that do not require one). */
  nonce?: string | false
  /** Expiry in UNIX seconds; omitted by default. */
  expires?: number
  /** Signature label; default `sig1`. */
  label?: string
  /** Content-Digest algorithm; default sha-256. */
  digestAlgorithm?: DigestAlgorithm
}

/** A request described by its parts. */
export interface SignRequestInput extends SignOptions {
  method: string
  url: string
  headers?: Record<string, string> | Headers
  body?: string | Uint8Array | null
}

/** Headers to add to the request. */
export type SignatureHeaders = {
  'signature-input': string
  signature: string
  'content-digest'?: string
}

function lowerCaseHeaders(headers: SignRequestInput['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  if (headers === undefined) return out
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers)
  for (const [name, value] of entries) out[name.toLowerCase()] = value
  return out
}

const NONCE_BYTES = 24
/**
 * Nonce entropy comes from a pooled CSPRNG buffer, refilled every 170 nonces — what
 * crypto.randomUUID does — because one randomBytes call per signed request was the largest
 * single cost of signing. Each pooled byte is used for one nonce only.
 */
const noncePool = Buffer.alloc(NONCE_BYTES * 170)
let noncePoolOffset = noncePool.length

function freshNonce(): string {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool)
    noncePoolOffset = 0
  }
  const nonce = noncePool.toString('base64url', noncePoolOffset, noncePoolOffset + NONCE_BYTES)
  noncePoolOffset += NONCE_BYTES
  return nonce
}

function wireUrl(url: string): string {
  const u = new URL(url)
  // What fetch puts on the wire: origin-form path + query, Host = u.host; the fragment never travels.
  return `${u.protocol}//${u.host}${u.pathname}${u.search}`
}

function signBase(alg: SigningAlgorithm, secret: SignOptions['secret'], base: string): Buffer {
  const data = Buffer.from(base, 'ascii')
  if (alg === 'hmac-sha256') {
    const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret
    return createHmac('sha256', key).update(data).digest()
  }
  const key = typeof secret === 'string' ? createPrivateKey(secret) : secret
  if (key instanceof Uint8Array) throw new TypeError('ed25519 signing needs a private KeyObject or PEM')
  return edSign(null, data, key)
}

/**
 * Returns the `Signature-Input`, `Signature` and (when there is a body) `Content-Digest` header
 * values for a request. Throws when a listed component cannot be computed (e.g. absent header).
 */
export function signRequestHeaders(input: SignRequestInput): SignatureHeaders {
  const alg = input.alg ?? 'hmac-sha256'
  const headers = lowerCaseHeaders(input.headers)
  const out: Partial<SignatureHeaders> = {}
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body ?? undefined
  if (body !== undefined) {
    out['content-digest'] = createContentDigest(body, [input.digestAlgorithm ?? 'sha-256'])
    headers['content-digest'] = out['content-digest']
  }
  const names = input.components ?? [
    '@method',
    '@target-uri',
    ...(headers['content-type'] !== undefined ? ['content-type'] : []),
    ...(body !== undefined ? ['content-digest'] : []),
  ]
  const components: ComponentIdentifier[] = names.map(parseComponentSpec)
  const params: Parameters = new Map()
  params.set('created', input.created ?? Math.floor(Date.now() / 1000))
  if (input.expires !== undefined) params.set('expires', input.expires)
  params.set('keyid', input.keyId)
  params.set('alg', alg)
  if (input.nonce !== false) params.set('nonce', input.nonce ?? freshNonce())
  const signatureParams = serializeSignatureParams(components, params)
  const base = buildSignatureBase({ method: input.method, url: wireUrl(input.url), headers }, components, signatureParams)
  const label = input.label ?? 'sig1'
  const signature: Item = [signBase(alg, input.secret, base), new Map()]
  return {
    ...out,
    'signature-input': `${label}=${signatureParams}`,
    signature: serializeDictionary(new Map([[label, signature]])),
  }
}

/**
 * Signs a fetch `Request`: reads (a clone of) its body, computes the signature headers and
 * returns a new Request carrying them. The original request's body is consumed by the copy.
 */
export async function signFetchRequest(request: Request, options: SignOptions): Promise<Request> {
  const body = request.body === null ? undefined : new Uint8Array(await request.clone().arrayBuffer())
  const signed = signRequestHeaders({ ...options, method: request.method, url: request.url, headers: request.headers, body })
  const headers = new Headers(request.headers)
  for (const [name, value] of Object.entries(signed)) headers.set(name, value)
  return new Request(request, { headers })
}
