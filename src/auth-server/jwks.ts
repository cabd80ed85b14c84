/**
 * `GET /.well-known/jwks.json`: the public signing keys (current and still-valid previous ones).
 * Cacheable for a short time so resource servers do not hammer it, but short enough that a
 * rotation's new key is picked up quickly (they also refetch on an unknown `kid`).
 */
import type { ServerResponse } from 'node:http'
import type { SigningKeys } from './signing-keys.js'

/** Max-age of the JWKS response in seconds. */
export const JWKS_MAX_AGE_S = 300

/** Writes the JWKS (HEAD gets the headers only). */
export function sendJwks(res: ServerResponse, keys: SigningKeys, head: boolean): void {
  const body = JSON.stringify(keys.publicJwks())
  res.writeHead(200, {
    'content-type': 'application/jwk-set+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': `public, max-age=${JWKS_MAX_AGE_S}`,
  })
  res.end(head ? undefined : body)
}
