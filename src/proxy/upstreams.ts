/**
 * Keep-alive connection pools (undici Pool), one per upstream. Pools outlive config reloads when the
 * upstream did not change, so a reload never costs a cold connection; retired pools close once the
 * requests still using them have finished (Pool.close waits for them).
 */
import { Pool } from 'undici'
import type { ConnectionOptions } from 'node:tls'
import type { UpstreamConfig } from '../config/config.js'
import { upstreamTlsOptions } from '../tls/upstream-tls.js'

/** A live upstream: its pool and the timeouts that apply to requests sent through it. */
export interface Upstream {
  name: string
  origin: string
  pool: Pool
  responseTimeoutMs: number
  /** TLS options for an https upstream (CA, client certificate, SNI); also used for WebSocket tunnels. */
  tls?: ConnectionOptions | undefined
}

function keyOf(u: UpstreamConfig): string {
  return JSON.stringify([u.url, u.connectTimeoutMs, u.responseTimeoutMs, u.connections, u.tls ?? null])
}

/** Owns every upstream pool of the gateway across reloads. */
export class UpstreamPools {
  #byKey = new Map<string, { upstream: Upstream; users: number }>()

  /** Returns pools for a config generation; call `release` with the same list when it retires. */
  acquire(configs: Record<string, UpstreamConfig>): Map<string, Upstream> {
    const out = new Map<string, Upstream>()
    try {
      this.#acquireInto(configs, out)
    } catch (error) {
      // An unreadable TLS file refuses the whole generation: give back what was taken so far.
      void this.release(out)
      throw error
    }
    return out
  }

  #acquireInto(configs: Record<string, UpstreamConfig>, out: Map<string, Upstream>): void {
    for (const [name, config] of Object.entries(configs)) {
      const key = keyOf(config)
      let entry = this.#byKey.get(key)
      if (!entry) {
        const origin = new URL(config.url).origin
        const tls = origin.startsWith('https:') ? upstreamTlsOptions(config.tls) : undefined
        const pool = new Pool(origin, {
          connections: config.connections,
          connect: { timeout: config.connectTimeoutMs, ...tls },
          keepAliveTimeout: 4_000,
          pipelining: 1,
        })
        entry = { upstream: { name, origin, pool, responseTimeoutMs: config.responseTimeoutMs, tls }, users: 0 }
        this.#byKey.set(key, entry)
      }
      entry.users++
      out.set(name, entry.upstream)
    }
  }

  /** Drops one generation's use; pools nobody uses any more are closed gracefully. */
  async release(upstreams: Map<string, Upstream>): Promise<void> {
    const closing: Promise<void>[] = []
    for (const [key, entry] of this.#byKey) {
      if (![...upstreams.values()].includes(entry.upstream)) continue
      if (--entry.users === 0) {
        this.#byKey.delete(key)
        closing.push(entry.upstream.pool.close().catch(() => undefined))
      }
    }
    await Promise.all(closing)
  }

  /** Closes everything (shutdown). */
  async closeAll(): Promise<void> {
    const pools = [...this.#byKey.values()].map((e) => e.upstream.pool)
    this.#byKey.clear()
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)))
  }
}
