/**
 * Every security decision is one event on one bus; logs, metrics, usage analytics, the dashboard
 * feed and API discovery subscribe. Publishing costs nothing when nobody listens.
 */
import type { Principal } from './types.js'

/** One security decision or notable occurrence. */
export interface SecurityEvent {
  type: string
  /** `reject`, `monitor` (would have rejected), `allow`, or an informational kind. */
  action: 'reject' | 'monitor' | 'allow' | 'info'
  requestId?: string
  policy?: string
  code?: string
  /** Precise internal reason (never a secret). */
  reason?: string
  clientIp?: string
  route?: string
  method?: string
  path?: string
  principal?: Pick<Principal, 'subject' | 'consumerId' | 'method' | 'credentialId' | 'tenant'>
  details?: Record<string, unknown>
  time?: number
}

/** Subscriber callback; it must not throw (errors are swallowed to protect the request path). */
export type SecurityEventListener = (event: SecurityEvent) => void

/** A synchronous fan-out bus; subscribers decide what to buffer. */
export class SecurityEvents {
  #listeners: SecurityEventListener[] = []

  /** True when at least one listener is attached. */
  get hasSubscribers(): boolean {
    return this.#listeners.length > 0
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: SecurityEventListener): () => void {
    this.#listeners = [...this.#listeners, listener]
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener)
    }
  }

  publish(event: SecurityEvent): void {
    if (this.#listeners.length === 0) return
    event.time ??= Date.now()
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // A broken subscriber must never fail a request.
      }
    }
  }
}
