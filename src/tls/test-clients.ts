/**
 * Test and benchmark support: minimal HTTPS clients that say exactly which protocol, TLS version
 * and certificates they use — an HTTP/2 request over node:http2, an HTTP/1.1 request over
 * node:https, and a bare TLS handshake.
 */
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate } from 'node:tls'

/** A complete response. */
export interface TestResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The negotiated ALPN protocol (`h2`, `http/1.1`, or false when none). */
  alpn: string | false
}

/** TLS material for a client. */
export interface ClientTls {
  ca?: string | Buffer | undefined
  cert?: string | Buffer | undefined
  key?: string | Buffer | undefined
  servername?: string | undefined
}

/** One HTTP/2 request on a session (the caller owns the session). */
export function h2Request(
  session: ClientHttp2Session,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; /** false: stream the body without content-length */ declareLength?: boolean } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ':method': options.method ?? 'GET', ':path': path, ...options.headers }
    if (options.body !== undefined && options.declareLength !== false) headers['content-length'] = String(Buffer.byteLength(options.body))
    const stream = session.request(headers, { endStream: options.body === undefined })
    let responseHeaders: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    stream.on('response', (h) => (responseHeaders = h))
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('error', reject)
    stream.on('end', () =>
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8'), alpn: 'h2' }),
    )
    if (options.body !== undefined) stream.end(options.body)
  })
}

/** Opens an HTTP/2 session (ALPN h2 only) and waits until it is connected. */
export function h2Session(origin: string, tls: ClientTls = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = h2connect(origin, { ...tls })
    session.once('connect', () => resolve(session))
    session.once('error', reject)
  })
}

/** One HTTP/1.1 request over TLS on a fresh connection (ALPN http/1.1). */
export function h1Request(url: string, tls: ClientTls = {}, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    // ALPNProtocols reaches tls.connect although the https typings do not list it.
    const requestOptions = { ...tls, agent: false, ALPNProtocols: ['http/1.1'], method: options.method ?? 'GET', headers: options.headers } as RequestOptions
    const req = httpsRequest(url, requestOptions, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), alpn: (res.socket as { alpnProtocol?: string | false }).alpnProtocol ?? false }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** What a finished handshake negotiated. */
export interface HandshakeResult {
  protocol: string | null
  cipher: string
  alpn: string | false
  peer: PeerCertificate
}

/** Performs one TLS handshake and closes; rejects with the TLS error when it fails. */
export function tlsHandshake(port: number, options: ConnectionOptions): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, alpn: socket.alpnProtocol ?? false, peer: socket.getPeerCertificate() }
      socket.end()
      resolve(result)
    })
    socket.once('error', reject)
  })
}
