/**
 * Client authentication for the token, revocation and introspection endpoints:
 * `client_secret_basic` (RFC 6749 §2.3.1, with the Appendix B form-decoding most servers skip)
 * and `client_secret_post`. Exactly one method per request; unknown clients cost the same hash
 * and compare as known ones so the response time does not reveal which client ids exist.
 */
import type { IncomingMessage } from 'node:http'
import { OAuthError } from './http-util.js'
import { verifySecret } from './secrets.js'
import type { ClientRecord, ClientStore } from './stores.js'

const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="portcullis", charset="UTF-8"' }
// A hash no secret maps to in practice; used to equalise the work for unknown client ids.
const DUMMY_HASH = '0'.repeat(64)
const MAX_CREDENTIAL_LENGTH = 512

/** Authenticates the calling client or throws `invalid_client` (401) / `invalid_request` (400). */
export async function authenticateClient(req: IncomingMessage, form: Map<string, string>, clients: ClientStore): Promise<ClientRecord> {
  const header = req.headers.authorization
  const postId = form.get('client_id')
  const postSecret = form.get('client_secret')
  let clientId: string
  let secret: string
  if (header !== undefined) {
    if (postSecret !== undefined) throw new OAuthError('invalid_request', 'Use only one client authentication method.')
    const basic = parseBasic(header)
    if (!basic) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, BASIC_CHALLENGE)
    ;({ clientId, secret } = basic)
    // A body client_id that disagrees with the authenticated one is a confused request.
    if (postId !== undefined && postId !== clientId) throw new OAuthError('invalid_request', 'client_id does not match the credentials.')
  } else if (postId !== undefined && postSecret !== undefined) {
    clientId = postId
    secret = postSecret
  } else {
    throw new OAuthError('invalid_client', 'Client authentication is required.', 401, BASIC_CHALLENGE)
  }
  if (clientId.length === 0 || clientId.length > MAX_CREDENTIAL_LENGTH || secret.length > MAX_CREDENTIAL_LENGTH) {
    throw invalidClient()
  }
  const client = await clients.findClient(clientId)
  const ok = verifySecret(secret, client?.secretHash ?? DUMMY_HASH)
  if (!client || !ok) throw invalidClient()
  return client
}

// RFC 6749 §5.2: 401 with WWW-Authenticate is mandatory when the Authorization header was used;
// for body credentials 401 is allowed, and one answer for both keeps the methods indistinguishable.
function invalidClient(): OAuthError {
  return new OAuthError('invalid_client', 'Client authentication failed.', 401, BASIC_CHALLENGE)
}

/** Parses `Basic base64(urlencode(id):urlencode(secret))`; null when malformed. */
export function parseBasic(header: string): { clientId: string; secret: string } | null {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)
  if (!match || match[1]!.length > 4 * MAX_CREDENTIAL_LENGTH) return null
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

// Appendix B: credentials are form-urlencoded before Base64; decode `+` as space, then %XX.
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}
