/**
 * Strict JWT access-token verification. Before jose sees a token, a structural pass refuses what
 * no legitimate access token carries (RFC 8725): unsecured or unpinned algorithms, key-supplying
 * headers (`jwk`, `jku`, `x5u`, `x5c` — we never take keys from the token), any `crit` extension,
 * hostile `kid` values, oversize input and malformed ECDSA signatures (r or s outside [1, n-1],
 * the CVE-2022-21449 "psychic signature" shape). Then jose verifies with every option explicit:
 * pinned algorithms, exact issuer, audience, `typ`, clock tolerance, required claims and
 * maximum age — never its permissive defaults.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'

/** A refused token; `reason` is for logs and events only, never for the client. */
export class TokenRejected extends Error {
  readonly reason: string
  constructor(reason: string) {
    super(reason)
    this.reason = reason
  }
}

/** A token that passed the structural checks (header and claims are NOT yet trusted). */
export interface InspectedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  alg: string
}

/** How tokens from one issuer are verified. */
export interface VerifyProfile {
  issuer: string
  audience: string | string[]
  algorithms: readonly string[]
  typ: string
  requiredClaims: readonly string[]
  clockSkewMs: number
  maxTokenAgeMs: number
  getKey: JWTVerifyGetKey
}

/** Longest token accepted; real access tokens are well under 4 KiB. */
export const MAX_TOKEN_LENGTH = 8192
const SEGMENT = /^[A-Za-z0-9_-]+$/
const FORBIDDEN_HEADERS = ['crit', 'jwk', 'jku', 'x5u', 'x5c', 'b64'] as const
// Curve orders for the ECDSA range check (SEC 2).
const CURVE_ORDERS: Record<string, { bytes: number; n: bigint }> = {
  ES256: { bytes: 32, n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
  ES384: { bytes: 48, n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n },
  ES512: {
    bytes: 66,
    n: 0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
}

/** Structural checks; throws {@link TokenRejected}. Cost is linear in the token length. */
export function inspectJwt(token: string): InspectedToken {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('token too long')
  const parts = token.split('.')
  if (parts.length !== 3) throw new TokenRejected(parts.length === 5 ? 'JWE where a JWS is expected' : 'not a compact JWS')
  const [h = '', p = '', s = ''] = parts
  if (s.length === 0) throw new TokenRejected('signature missing')
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) throw new TokenRejected('non-canonical base64url')
  const headerText = Buffer.from(h, 'base64url').toString('utf8')
  const header = parseObject(headerText, 'header')
  // JSON.parse keeps the last duplicate; a second "alg" is an attempt to confuse parsers.
  if (headerText.indexOf('"alg"') !== headerText.lastIndexOf('"alg"')) throw new TokenRejected('duplicate alg header')
  for (const name of FORBIDDEN_HEADERS) {
    if (Object.hasOwn(header, name)) throw new TokenRejected(`forbidden header parameter ${name}`)
  }
  const alg = header['alg']
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') throw new TokenRejected('unsecured or missing alg')
  const kid = header['kid']
  // kid only ever indexes an in-memory key set, but refuse the obviously hostile anyway.
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256 || /[\x00-\x1f\x7f]/.test(kid))) {
    throw new TokenRejected('malformed kid')
  }
  const order = CURVE_ORDERS[alg]
  if (order) checkEcdsaSignature(Buffer.from(s, 'base64url'), order)
  const payload = parseObject(Buffer.from(p, 'base64url').toString('utf8'), 'payload')
  return { header, payload, alg }
}

/** Full verification against one issuer's profile; throws {@link TokenRejected}. */
export async function verifyJwt(token: string, inspected: InspectedToken, profile: VerifyProfile, nowMs: number): Promise<JWTPayload> {
  if (!profile.algorithms.includes(inspected.alg)) throw new TokenRejected(`alg ${inspected.alg} not allowed for this issuer`)
  try {
    const { payload } = await jwtVerify(token, profile.getKey, {
      algorithms: [...profile.algorithms],
      issuer: profile.issuer,
      audience: profile.audience,
      typ: profile.typ,
      requiredClaims: [...profile.requiredClaims],
      clockTolerance: Math.ceil(profile.clockSkewMs / 1000),
      maxTokenAge: Math.ceil(profile.maxTokenAgeMs / 1000),
      currentDate: new Date(nowMs),
    })
    return payload
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new TokenRejected(`${error.code}: ${error.message}`)
    throw error
  }
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new TokenRejected(`${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenRejected(`${what} is not a JSON object`)
  return value as Record<string, unknown>
}

/** JWS ECDSA signatures are r‖s, fixed width; each must lie in [1, n-1] (SEC 1 §4.1.4 step 1). */
function checkEcdsaSignature(signature: Buffer, order: { bytes: number; n: bigint }): void {
  if (signature.length !== order.bytes * 2) throw new TokenRejected('ECDSA signature has the wrong length')
  const r = BigInt('0x' + signature.subarray(0, order.bytes).toString('hex'))
  const s = BigInt('0x' + signature.subarray(order.bytes).toString('hex'))
  if (r === 0n || s === 0n || r >= order.n || s >= order.n) throw new TokenRejected('ECDSA signature out of range')
}
