/**
 * RFC 9421 verification of one request, pure apart from the key lookup and the nonce store.
 *
 * Order matters: cheap structural checks first (no store traffic for garbage), then the key
 * lookup, the signature base and the MAC/signature, then the body digest, and only when
 * everything holds the nonce is spent — so an invalid request can never burn a nonce.
 */
import { createHmac, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto'
import { parseItem } from 'structured-headers'
import { buildSignatureBase, componentKey, SignatureBaseError, type ComponentIdentifier, type HeaderMap } from './signature-base.js'
import { parseSignatureFields, SignatureInputError, type ParsedSignature } from './signature-input.js'
import { verifyContentDigest, type DigestAlgorithm } from './content-digest.js'
import { nonceKey, nonceTtlMs, type NonceStore } from './replay.js'

/** Signature algorithms the gateway verifies (RFC 9421 §3.3 names). */
export type SignatureAlgorithm = 'hmac-sha256' | 'ed25519'

/** What a key id resolves to: the verification key bound to one algorithm, and its owner. */
export interface ResolvedHmacKey {
  keyId: string
  /** The algorithm this key is bound to; a different `alg` parameter is refused (§7.3.6). */
  alg: SignatureAlgorithm
  /** HMAC: the secret bytes (UTF-8 of the issued string). ed25519: the public KeyObject. */
  secret: Buffer | KeyObject
  /** Secrets still accepted during a rotation overlap, each until `notAfterMs`. */
  previousSecrets?: readonly { secret: Buffer | KeyObject; notAfterMs: number }[]
  /** The credential stops working at this instant (epoch ms), when set. */
  expiresAtMs?: number | undefined
  consumerId: string
  subject?: string | undefined
  tenant?: string | undefined
  scopes?: readonly string[]
  roles?: readonly string[]
  groups?: readonly string[]
}

/** Key lookup by `keyid`; null when unknown, revoked or disabled. */
export type HmacKeyResolver = (keyId: string) => ResolvedHmacKey | null | Promise<ResolvedHmacKey | null>

/** The request as the gateway received it. */
export interface VerifyRequest {
  method: string
  /** Absolute target URI as the client addressed it (see index.ts for how it is rebuilt). */
  url: string
  headers: HeaderMap
  /** The content received; undefined or empty when there is none. */
  body?: Uint8Array | undefined
}

/** Verification policy (already normalised; see schema.ts for the user-facing config). */
export interface VerifyOptions {
  /** Components every signature must cover. */
  requiredComponents: readonly ComponentIdentifier[]
  /** A signature older than this (by `created`) is stale. */
  maxAgeMs: number
  /** How far `created` may lie in the future (clock skew). */
  clockSkewMs: number
  requireNonce: boolean
  algorithms: readonly SignatureAlgorithm[]
  /** Only this label is considered, when set. */
  label?: string | undefined
  /**
   * When true (the default), `content-type` must be covered whenever it is present and
   * `content-digest` whenever there is content. Turned off only to replay RFC vectors.
   */
  protectContent?: boolean
  digestAlgorithms?: readonly DigestAlgorithm[]
}

/** Precise, loggable failure reasons (never sent to the client). */
export type VerifyFailureReason =
  | 'signature_missing' | 'signature_malformed' | 'label_not_found' | 'keyid_missing' | 'alg_not_allowed'
  | 'created_missing' | 'created_stale' | 'created_in_future' | 'expires_passed' | 'expires_invalid'
  | 'nonce_missing' | 'nonce_invalid' | 'component_not_covered' | 'unknown_keyid' | 'key_expired'
  | 'alg_mismatch' | 'base_invalid' | 'signature_mismatch' | 'digest_missing' | 'digest_malformed'
  | 'digest_unsupported' | 'digest_mismatch' | 'replayed'

/** Outcome of verifying a request. */
export type VerifyResult =
  | { ok: true; key: ResolvedHmacKey; signature: ParsedSignature; usedPreviousSecret: boolean }
  | { ok: false; reason: VerifyFailureReason; message: string; label?: string | undefined; keyId?: string | undefined }

type Failure = Extract<VerifyResult, { ok: false }>

const MAX_NONCE_LENGTH = 256

/**
 * Parses a required-component spec from config: a bare name (`@method`, `content-type`) or a
 * full identifier with parameters (`"@query-param";name="id"`).
 */
export function parseComponentSpec(spec: string): ComponentIdentifier {
  if (!spec.startsWith('"')) return [spec.toLowerCase(), new Map()]
  const item = parseItem(spec)
  if (typeof item[0] !== 'string') throw new Error(`component ${spec} is not an sf-string`)
  return item
}

function headerPresent(headers: HeaderMap, name: string): boolean {
  return headers[name] !== undefined
}

function fail(reason: VerifyFailureReason, message: string, sig?: ParsedSignature): Failure {
  return { ok: false, reason, message, label: sig?.label, keyId: sig?.keyid }
}

/** Structural and time checks that need neither the key nor the store. */
function checkParams(request: VerifyRequest, sig: ParsedSignature, options: VerifyOptions, nowMs: number): Failure | null {
  if (sig.keyid === undefined || sig.keyid === '') return fail('keyid_missing', 'keyid parameter missing', sig)
  if (sig.alg !== undefined && !(options.algorithms as readonly string[]).includes(sig.alg)) {
    return fail('alg_not_allowed', `alg ${sig.alg} not allowed`, sig)
  }
  if (sig.created === undefined) return fail('created_missing', 'created parameter missing', sig)
  const createdMs = sig.created * 1000
  if (createdMs < nowMs - options.maxAgeMs) return fail('created_stale', 'created is older than the window', sig)
  if (createdMs > nowMs + options.clockSkewMs) return fail('created_in_future', 'created is in the future', sig)
  if (sig.expires !== undefined) {
    if (sig.expires < sig.created) return fail('expires_invalid', 'expires precedes created', sig)
    if (sig.expires * 1000 <= nowMs) return fail('expires_passed', 'signature has expired', sig)
  }
  if (sig.nonce === undefined) {
    if (options.requireNonce) return fail('nonce_missing', 'nonce parameter missing', sig)
  } else if (sig.nonce.length === 0 || sig.nonce.length > MAX_NONCE_LENGTH) {
    return fail('nonce_invalid', 'nonce empty or too long', sig)
  }
  const covered = coveredKeys(sig)
  for (const component of options.requiredComponents) {
    const key = componentKey(component)
    if (!covered.includes(key)) return notCovered(key, sig)
  }
  if (options.protectContent !== false) {
    if (headerPresent(request.headers, 'content-type') && !covered.includes(CONTENT_TYPE_KEY)) return notCovered(CONTENT_TYPE_KEY, sig)
    if (request.body !== undefined && request.body.length > 0 && !covered.includes(CONTENT_DIGEST_KEY)) return notCovered(CONTENT_DIGEST_KEY, sig)
  }
  return null
}

/** The equality keys of the covered components (at most a handful: a linear search beats a Set). */
function coveredKeys(sig: ParsedSignature): readonly string[] {
  // With fewer than two parameters a component's key is its serialisation (see componentKey).
  if (sig.components.every((component) => component[1].size < 2)) return sig.identifiers
  return sig.components.map((component, i) => componentKey(component, sig.identifiers[i]))
}

const CONTENT_TYPE_KEY = componentKey(['content-type', new Map()])
const CONTENT_DIGEST_KEY = componentKey(['content-digest', new Map()])

function notCovered(key: string, sig: ParsedSignature): Failure {
  return fail('component_not_covered', `required component ${key} not covered`, sig)
}

function macMatches(alg: SignatureAlgorithm, secret: Buffer | KeyObject, base: string, signature: Buffer): boolean {
  if (alg === 'hmac-sha256') {
    if (!Buffer.isBuffer(secret) && secret.type !== 'secret') return false
    const expected = createHmac('sha256', secret).update(base, 'ascii').digest()
    // The length of an HMAC-SHA256 is public; a truncated signature simply fails.
    return signature.length === expected.length && timingSafeEqual(signature, expected)
  }
  if (Buffer.isBuffer(secret) || secret.asymmetricKeyType !== 'ed25519') return false
  return signature.length === 64 && verifySignature(null, Buffer.from(base, 'ascii'), secret, signature)
}

type OneOutcome = Failure | { ok: true; key: ResolvedHmacKey; usedPreviousSecret: boolean }

/**
 * Verifies one signature. Synchronous when the resolver answers synchronously (a cached key):
 * an async function here would cost the caller a microtask hop per layer on every request.
 */
function verifyOne(
  request: VerifyRequest,
  sig: ParsedSignature,
  resolveKey: HmacKeyResolver,
  options: VerifyOptions,
  nowMs: number,
): OneOutcome | Promise<OneOutcome> {
  const structural = checkParams(request, sig, options, nowMs)
  if (structural) return structural
  const key = resolveKey(sig.keyid!)
  if (key !== null && typeof (key as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(key).then((resolved) => verifyWithKey(request, sig, resolved, options, nowMs))
  }
  return verifyWithKey(request, sig, key as ResolvedHmacKey | null, options, nowMs)
}

function verifyWithKey(request: VerifyRequest, sig: ParsedSignature, key: ResolvedHmacKey | null, options: VerifyOptions, nowMs: number): OneOutcome {
  if (key === null) return fail('unknown_keyid', 'keyid not known', sig)
  if (key.expiresAtMs !== undefined && key.expiresAtMs <= nowMs) return fail('key_expired', 'credential expired', sig)
  // §3.2 step 6 / §7.3.6: the key decides the algorithm; a conflicting alg parameter fails.
  if (!options.algorithms.includes(key.alg)) return fail('alg_not_allowed', `key algorithm ${key.alg} not allowed`, sig)
  if (sig.alg !== undefined && sig.alg !== key.alg) return fail('alg_mismatch', 'alg parameter does not match the key', sig)
  let base: string
  try {
    base = buildSignatureBase(request, sig.components, sig.signatureParams, sig.identifiers)
  } catch (error) {
    if (error instanceof SignatureBaseError) return fail('base_invalid', error.message, sig)
    throw error
  }
  // The current secret first, then rotation secrets still inside their overlap.
  let usedPreviousSecret = false
  if (!macMatches(key.alg, key.secret, base, sig.signature)) {
    const previous = key.previousSecrets?.find((p) => p.notAfterMs > nowMs && macMatches(key.alg, p.secret, base, sig.signature))
    if (previous === undefined) return fail('signature_mismatch', 'signature does not verify', sig)
    usedPreviousSecret = true
  }
  const digestField = request.headers['content-digest']
  if (digestField !== undefined) {
    const value = typeof digestField === 'string' ? digestField : digestField.join(', ')
    const check = verifyContentDigest(value, request.body ?? new Uint8Array(0), options.digestAlgorithms)
    if (!check.ok) return fail(check.reason, check.message, sig)
  } else if (request.body !== undefined && request.body.length > 0 && options.protectContent !== false) {
    return fail('digest_missing', 'content without Content-Digest', sig)
  }
  return { ok: true, key, usedPreviousSecret }
}

/**
 * Verifies the RFC 9421 signature(s) on a request. With several labels and no configured
 * `label`, the first one that verifies wins; otherwise the first failure is reported.
 * The nonce is recorded (atomically) only for the signature that verified.
 */
export async function verifySignedRequest(
  request: VerifyRequest,
  deps: { resolveKey: HmacKeyResolver; nonces: NonceStore },
  options: VerifyOptions,
  nowMs: number,
): Promise<VerifyResult> {
  const inputField = request.headers['signature-input']
  const sigField = request.headers['signature']
  if (inputField === undefined && sigField === undefined) return fail('signature_missing', 'no Signature-Input / Signature')
  if (inputField === undefined || sigField === undefined) return fail('signature_malformed', 'Signature-Input and Signature must both be present')
  let parsed: Map<string, ParsedSignature>
  try {
    const join = (v: string | readonly string[]): string => (typeof v === 'string' ? v : v.join(', '))
    parsed = parseSignatureFields(join(inputField), join(sigField))
  } catch (error) {
    if (error instanceof SignatureInputError) return fail('signature_malformed', error.message)
    throw error
  }
  let candidates = [...parsed.values()]
  if (options.label !== undefined) {
    const wanted = parsed.get(options.label)
    if (wanted === undefined) return fail('label_not_found', `no signature labelled ${options.label}`)
    candidates = [wanted]
  }
  let firstFailure: Failure | undefined
  for (const sig of candidates) {
    let outcome = verifyOne(request, sig, deps.resolveKey, options, nowMs)
    if (outcome instanceof Promise) outcome = await outcome
    if (!outcome.ok) {
      firstFailure ??= outcome
      continue
    }
    if (sig.nonce !== undefined) {
      const fresh = await deps.nonces.setIfAbsent(nonceKey(sig.keyid!, sig.nonce), '1', nonceTtlMs(sig.created!, options.maxAgeMs, nowMs))
      if (!fresh) return fail('replayed', 'nonce already used', sig)
    }
    return { ok: true, key: outcome.key, signature: sig, usedPreviousSecret: outcome.usedPreviousSecret }
  }
  return firstFailure!
}
