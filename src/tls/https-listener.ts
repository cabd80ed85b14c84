/**
 * The HTTPS listener: HTTP/1.1 and HTTP/2 (ALPN `h2`, `http/1.1`) on one port, one request
 * handler for both, so every policy applies whatever the protocol. Certificates are chosen by SNI
 * and reloaded from disk without dropping a connection: a new secure context only affects
 * handshakes that start after the swap. Client certificates are requested (never required) at the
 * handshake when a CA bundle is configured; the `mtls` policy decides per route.
 */
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { SecureContext, TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { Config, HttpsListenerConfig, CertificateConfig } from '../config/config.js'
import type { SecurityEvents } from '../core/events.js'
import { contextForServerName, loadTlsMaterial, type TlsMaterial } from './tls-material.js'
import { ensureDevCertificate, DEV_CERTIFICATE_LABEL } from './dev-certificate.js'
import { hstsHeader } from './tls-profile.js'
import { watchFiles, type FileWatch } from './file-watch.js'

/** An HTTP/2 session stays open this long without any stream before the gateway closes it. */
const H2_IDLE_TIMEOUT_MS = 120_000
/** Warn at start and on reload when a served certificate expires sooner than this. */
const EXPIRY_WARNING_MS = 14 * 86_400_000

/** What the listener needs from the gateway. */
export interface HttpsListenerOptions {
  config: HttpsListenerConfig
  limits: Config['limits']
  home: string
  logger: Logger
  events: SecurityEvents
  /** The gateway's request handler (the same one the plain listener uses). */
  handler: (req: IncomingMessage, res: ServerResponse) => void
}

/** A running (or ready-to-run) HTTPS listener. */
export interface HttpsListener {
  /** `tls.Server` underneath: an Http2SecureServer, or an https.Server when h2 is off. */
  readonly server: Http2SecureServer | HttpsServer
  /** The material currently served. */
  readonly material: TlsMaterial
  /** `https://host:port` once listening, '' before. */
  readonly url: string
  listen(): Promise<void>
  /** Re-reads every file; on any error the previous material keeps serving. Resolves true when swapped. */
  reload(): Promise<boolean>
  /** Stops accepting, closes idle HTTP/1.1 connections and sends GOAWAY on HTTP/2 sessions; resolves once closed. */
  close(): Promise<void>
  /** Ends every remaining connection (after the drain deadline). */
  destroyConnections(): void
}

/** Creates the listener (loading, and if asked generating, its certificates); call `listen()` to bind. */
export async function createHttpsListener(options: HttpsListenerOptions): Promise<HttpsListener> {
  const { config, limits, logger, events } = options
  const certificates = await resolveCertificates(config, options.home, logger)
  const source = { minVersion: config.minVersion, certificates, clientAuth: config.clientAuth }
  let material = await loadTlsMaterial(source)
  reportCertificates(material, logger)

  const hsts = hstsHeader(config.hsts)
  const handler = hsts
    ? (req: IncomingMessage, res: ServerResponse): void => {
        res.setHeader('strict-transport-security', hsts)
        options.handler(req, res)
      }
    : options.handler
  const SNICallback = (servername: string, callback: (error: Error | null, context?: SecureContext) => void): void =>
    callback(null, contextForServerName(material.byName, servername))
  const tlsOptions = {
    ...material.defaultOptions,
    SNICallback,
    requestCert: config.clientAuth !== undefined,
    // Chain, expiry and CRL are still verified (socket.authorized); the mtls policy enforces per route.
    rejectUnauthorized: false,
    handshakeTimeout: limits.headersTimeoutMs,
  }
  const server: Http2SecureServer | HttpsServer = config.http2
    ? createSecureServer(
        {
          ...tlsOptions,
          allowHTTP1: true,
          settings: { maxHeaderListSize: limits.maxHeaderBytes, maxConcurrentStreams: 128 },
        },
        handler as never,
      )
    : createHttpsServer(
        {
          ...tlsOptions,
          requestTimeout: 0,
          headersTimeout: limits.headersTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          maxHeaderSize: limits.maxHeaderBytes,
          requireHostHeader: false,
          connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
        },
        handler,
      )
  if (config.http2) {
    // HTTP/1.1 connections on the h2 server go through Node's HTTP/1 machinery, which reads its
    // limits from these properties (the h2 constructor only sets lax defaults).
    Object.assign(server, {
      requestTimeout: 0,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      requireHostHeader: false,
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
    })
    server.setTimeout(H2_IDLE_TIMEOUT_MS)
  }

  const sockets = new Set<Socket>()
  const sessions = new Set<Http2Session>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('session', (session: Http2Session) => {
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
  })
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    logger.debug({ code: error.code, reason: error.message, clientIp: socket.remoteAddress }, 'TLS handshake failed')
    if (events.hasSubscribers) {
      events.publish({ type: 'tls.handshake', action: 'reject', code: error.code, reason: error.message, clientIp: socket.remoteAddress })
    }
    socket.destroy()
  })

  let watch: FileWatch | undefined
  let reloading: Promise<boolean> | undefined
  const reloadNow = async (): Promise<boolean> => {
    let next: TlsMaterial
    try {
      next = await loadTlsMaterial(source)
    } catch (error) {
      logger.error({ reason: (error as Error).message }, 'TLS reload refused, still serving the previous certificates')
      events.publish({ type: 'tls.reload', action: 'reject', reason: (error as Error).message })
      return false
    }
    if (next.digest === material.digest) return false
    // New handshakes use the new contexts; established connections keep theirs.
    server.setSecureContext(next.defaultOptions)
    material = next
    watch?.update(next.files)
    reportCertificates(next, logger)
    logger.info({ certificates: next.certificates.map((c) => ({ names: c.serverNames, fingerprint256: c.fingerprint256 })) }, 'TLS certificates reloaded')
    events.publish({ type: 'tls.reload', action: 'info', details: { fingerprints: next.certificates.map((c) => c.fingerprint256) } })
    return true
  }
  // Reloads never overlap; a change during a reload is read by the next one.
  const reload = (): Promise<boolean> => {
    const next = (reloading ?? Promise.resolve(false)).then(reloadNow, reloadNow)
    reloading = next
    return next
  }

  return {
    server,
    get material() {
      return material
    },
    get url() {
      const address = server.address() as AddressInfo | null
      if (!address) return ''
      return `https://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
    },
    reload,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(config.port, config.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      if (config.watch) watch = watchFiles(material.files, () => void reload(), (error) => logger.warn({ reason: error.message }, 'TLS file watch failed'))
    },
    async close() {
      watch?.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const session of sessions) session.close()
      if ('closeIdleConnections' in server) server.closeIdleConnections()
      await closed
    },
    destroyConnections() {
      for (const session of sessions) session.destroy()
      for (const socket of sockets) socket.destroy()
    },
  }
}

async function resolveCertificates(config: HttpsListenerConfig, home: string, logger: Logger): Promise<readonly CertificateConfig[]> {
  if (config.certificates.length > 0) return config.certificates
  if (!config.devCertificate) throw new Error('listen.https: no certificate configured (set certificates, or devCertificate: true for development only)')
  const dev = await ensureDevCertificate(home)
  logger.warn(
    { cert: dev.cert, fingerprint256: dev.fingerprint256, created: dev.created },
    `HTTPS is using a self-signed ${DEV_CERTIFICATE_LABEL}; clients will not trust it`,
  )
  return [{ cert: dev.cert, key: dev.key }]
}

function reportCertificates(material: TlsMaterial, logger: Logger): void {
  const now = Date.now()
  for (const c of material.certificates) {
    if (c.validToMs <= now) logger.error({ subject: c.subject, validTo: c.validTo }, 'a served TLS certificate has EXPIRED')
    else if (c.validToMs - now < EXPIRY_WARNING_MS) logger.warn({ subject: c.subject, validTo: c.validTo }, 'a served TLS certificate expires soon')
  }
}
