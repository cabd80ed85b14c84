/**
 * Test fixtures: a real authorization server on an ephemeral loopback port with in-memory stores
 * and a controllable clock. Used by this folder's tests and the `oauth` policy's tests.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuthServer, type AuthServer, type AuthServerOptions } from './create-auth-server.js'
import { MemoryClientStore, MemorySigningKeyStore, MemoryTokenStateStore, MemoryUserStore } from './memory-stores.js'
import { randomToken } from './secrets.js'

/** A clock tests can move forward (never sleep for expiry). */
export interface TestClock {
  now: () => number
  advance(ms: number): void
}

/** Creates a clock starting at the real time. */
export function createTestClock(): TestClock {
  let offset = 0
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) }
}

/** A running test authorization server. */
export interface TestAuthServer {
  url: string
  auth: AuthServer
  clients: MemoryClientStore
  state: MemoryTokenStateStore
  users: MemoryUserStore
  keyStore: MemorySigningKeyStore
  clock: TestClock
  /** Extra handler for requests the auth server does not answer (e.g. a protected route). */
  setFallback(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): void
  /** POSTs a form, with client_secret_basic when `basic` is given. */
  postForm(path: string, form: Record<string, string>, basic?: { id: string; secret: string }): Promise<Response>
  close(): Promise<void>
}

/** Starts a server with one confidential client `svc` (all grants) and one user `alice`. */
export async function startTestAuthServer(options: Partial<AuthServerOptions> = {}): Promise<TestAuthServer> {
  const clock = createTestClock()
  const clients = new MemoryClientStore()
  const state = new MemoryTokenStateStore(clock.now)
  const users = new MemoryUserStore()
  const keyStore = new MemorySigningKeyStore()
  let auth: AuthServer | undefined
  let fallback: ((req: IncomingMessage, res: ServerResponse) => void | Promise<void>) | undefined
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (auth && (await auth.handle(req, res))) return
      if (fallback) return fallback(req, res)
      res.writeHead(404).end()
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  auth = await createAuthServer({ issuer: url, clients, state, signingKeys: keyStore, users, now: clock.now, ...options })
  return {
    url,
    auth,
    clients,
    state,
    users,
    keyStore,
    clock,
    setFallback: (handler) => void (fallback = handler),
    postForm: (path, form, basic) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
      if (basic) headers['authorization'] = basicAuth(basic.id, basic.secret)
      return fetch(url + path, { method: 'POST', headers, body: new URLSearchParams(form).toString(), redirect: 'manual' })
    },
    async close() {
      await auth?.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** `Basic` credentials with the RFC 6749 Appendix B form-encoding. */
export function basicAuth(id: string, secret: string): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')
}

/** A fresh PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomToken(48)
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}
