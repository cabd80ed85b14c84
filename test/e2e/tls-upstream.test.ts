/**
 * TLS towards upstreams: certificates verified by default (a self-signed upstream is refused until
 * its CA is configured), SNI (the URL host, or `serverName`), and a client certificate presented
 * to upstreams that require mutual TLS from the gateway.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { readFile } from 'node:fs/promises'
import { request } from 'undici'
import { startGateway } from '../helpers/gateway.js'
import { createTestPki, type IssuedCertificate, type TestPki } from '../../src/tls/test-pki.js'

let upstreamCa: TestPki
let gatewayClients: TestPki
let upstreamCert: IssuedCertificate
let gatewayClient: IssuedCertificate
const servers: Server[] = []

/** An HTTPS upstream that reports the SNI name and client certificate it saw. */
async function httpsUpstream(options: { requireClientCert?: boolean } = {}): Promise<string> {
  const server = createServer(
    {
      cert: upstreamCert.certPem,
      key: upstreamCert.keyPem,
      ...(options.requireClientCert && { requestCert: true, rejectUnauthorized: true, ca: await readFile(gatewayClients.caCert, 'utf8') }),
    },
    (req, res) => {
      const socket = req.socket as TLSSocket
      const body = JSON.stringify({ servername: (socket as { servername?: string | false }).servername, client: socket.getPeerCertificate().subject?.CN ?? null })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(body)
    },
  )
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  servers.push(server)
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`
}

before(async () => {
  upstreamCa = await createTestPki('upstream')
  gatewayClients = await createTestPki('gateway-clients')
  // Valid only for internal.test: reaching it by IP needs serverName.
  upstreamCert = await upstreamCa.issue('upstream', { commonName: 'internal.test', subjectAltName: 'DNS:internal.test', usage: 'server' })
  gatewayClient = await gatewayClients.issue('gateway', { commonName: 'portcullis-gateway', usage: 'client' })
})
after(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    server.close()
  }
  await upstreamCa.cleanup()
  await gatewayClients.cleanup()
})

async function gatewayTo(url: string, tls?: Record<string, unknown>): Promise<Awaited<ReturnType<typeof startGateway>>> {
  return startGateway({
    upstreams: { app: { url, connectTimeout: '2s', responseTimeout: '2s', ...(tls && { tls }) } },
    routes: [{ name: 'all', match: { path: '/*' }, upstream: 'app' }],
  })
}

async function call(gw: Awaited<ReturnType<typeof startGateway>>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`${gw.url}/x`)
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

test('an upstream with a certificate from an unknown CA is refused (502) by default', async () => {
  const url = await httpsUpstream()
  const gw = await gatewayTo(url, { serverName: 'internal.test' })
  try {
    const res = await call(gw)
    assert.equal(res.status, 502)
    assert.equal(res.body.code, 'ERR_UPSTREAM_UNREACHABLE')
    assert.doesNotMatch(JSON.stringify(res.body), /127\.0\.0\.1|internal\.test|certificate/i, 'no internal detail leaks')
  } finally {
    await gw.stop()
  }
})

test('with its CA configured and the right SNI name, the same upstream is reached', async () => {
  const url = await httpsUpstream()
  const gw = await gatewayTo(url, { ca: upstreamCa.caCert, serverName: 'internal.test' })
  try {
    const res = await call(gw)
    assert.equal(res.status, 200)
    assert.equal(res.body.servername, 'internal.test')
  } finally {
    await gw.stop()
  }
})

test('the certificate name is checked: trusted CA but the wrong name is refused', async () => {
  const url = await httpsUpstream()
  const gw = await gatewayTo(url, { ca: upstreamCa.caCert })
  try {
    assert.equal((await call(gw)).status, 502)
  } finally {
    await gw.stop()
  }
})

test('an upstream that requires a client certificate gets the configured one', async () => {
  const url = await httpsUpstream({ requireClientCert: true })
  const without = await gatewayTo(url, { ca: upstreamCa.caCert, serverName: 'internal.test' })
  try {
    assert.equal((await call(without)).status, 502)
  } finally {
    await without.stop()
  }
  const withCert = await gatewayTo(url, { ca: upstreamCa.caCert, serverName: 'internal.test', cert: gatewayClient.cert, key: gatewayClient.key })
  try {
    const res = await call(withCert)
    assert.equal(res.status, 200)
    assert.equal(res.body.client, 'portcullis-gateway')
  } finally {
    await withCert.stop()
  }
})

test('an unreadable CA file refuses the configuration at start', async () => {
  const url = await httpsUpstream()
  await assert.rejects(gatewayTo(url, { ca: '/nonexistent/ca.pem' }), /cannot read \/nonexistent\/ca\.pem/)
})
