/**
 * TLS towards an upstream: the upstream's certificate is verified (public roots, or the CAs the
 * config names instead), SNI is sent (the URL host, or `serverName`), and a client certificate is
 * presented when configured (upstreams that require mTLS from the gateway).
 */
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { UpstreamTlsConfig } from '../config/config.js'

/**
 * Connection options for undici / node:https, or undefined for defaults. Reads files now (at config
 * load), so a missing or unreadable file refuses the config instead of failing the first request.
 */
export function upstreamTlsOptions(tls: UpstreamTlsConfig | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new Error('upstream tls: cert and key must be given together')
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8')
    } catch (error) {
      throw new Error(`upstream tls: cannot read ${path}: ${(error as Error).message}`)
    }
  }
  const options: ConnectionOptions = { rejectUnauthorized: tls.verify, minVersion: 'TLSv1.2' }
  if (tls.ca) options.ca = tls.ca.map(read)
  if (tls.cert && tls.key) {
    options.cert = read(tls.cert)
    options.key = read(tls.key)
    if (tls.passphrase !== undefined) options.passphrase = tls.passphrase
  }
  if (tls.serverName) options.servername = tls.serverName
  return options
}
