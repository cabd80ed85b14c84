/**
 * Which address is the client? The socket's peer, unless that peer is a trusted proxy: then walk
 * X-Forwarded-For from the right, skipping trusted hops, and take the first untrusted address.
 * Taking the leftmost entry would let any client choose its own IP.
 */
import type { IncomingMessage } from 'node:http'
import { compileCidrList, parseIp, type CidrList } from '../core/cidr.js'

/** Resolves client IPs and the effective protocol for one trusted-proxy list. */
export interface ClientIpResolver {
  clientIp(req: IncomingMessage): string
  /** `https` when the gateway's socket is TLS, or a trusted proxy says so. */
  protocol(req: IncomingMessage, encrypted: boolean): 'http' | 'https'
}

export function createClientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const trusted: CidrList = compileCidrList(trustedProxies)
  const peerOf = (req: IncomingMessage): string => normalize(req.socket.remoteAddress ?? '')
  return {
    clientIp(req) {
      const peer = peerOf(req)
      if (trusted.size === 0 || !trusted.has(peer)) return peer
      const header = req.headers['x-forwarded-for']
      if (!header) return peer
      const hops = (Array.isArray(header) ? header.join(',') : header).split(',')
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = normalize(hops[i]!.trim())
        if (!parseIp(hop)) return peer // garbage in the chain: trust nothing beyond the peer
        if (!trusted.has(hop)) return hop
      }
      return normalize(hops[0]!.trim())
    },
    protocol(req, encrypted) {
      if (encrypted) return 'https'
      if (trusted.size > 0 && trusted.has(peerOf(req)) && req.headers['x-forwarded-proto'] === 'https') return 'https'
      return 'http'
    },
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, so logs and lists see one spelling per client. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
