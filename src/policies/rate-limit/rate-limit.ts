/**
 * The rate-limit handler: rate limits (one atomic store call for all of a route's limits),
 * throttling, concurrency leases and calendar quotas, each with its own store-failure setting.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RequestContext } from '../../core/context.js'
import type { PolicyDeps, PolicyHandler, Rejection } from '../../core/types.js'
import { parseDurationMs } from '../../core/units.js'
import { isStateStoreUnavailable } from '../../store/state/errors.js'
import type { LimitCheck, LimitResult } from '../../store/state/types.js'
import { formatPolicyItem, formatRateItemNumbers, rateItemPrefix, toSeconds } from './headers.js'
import { compileKey } from './keys.js'
import { chargeQuota, type QuotaCounter } from './quota.js'
import type { KeyPart, RateLimitConfig } from './schema.js'

/** What the handler needs from the gateway. */
export type RateLimitDeps = Pick<PolicyDeps, 'state' | 'logger' | 'metrics'> & { data: QuotaCounter }

/** Test seams. */
export interface RateLimitOptions {
  /** Clock for quota periods (the state store keeps its own clock for limits). */
  now?: () => number
}

interface CompiledLimit {
  name: string
  parts: readonly KeyPart[]
  limit: number
  windowMs: number
  burst: number
  algorithm: 'gcra' | 'sliding-window'
  keyOf: (ctx: RequestContext) => string
  /** This limit's `RateLimit-Policy` member (fixed), and the fixed start of its `RateLimit` member. */
  policyItem: string
  ratePrefix: string
}

interface CompiledQuota {
  name: string
  limit: number
  period: 'day' | 'month'
  parts: readonly KeyPart[]
  onStoreError: 'allow' | 'deny'
}

/** Builds the per-route handler from a validated config. */
export function createRateLimitHandler(config: RateLimitConfig, deps: RateLimitDeps, options: RateLimitOptions = {}): PolicyHandler {
  const clock = options.now ?? Date.now
  const throttle = config.mode === 'throttle'
  const maxDelayMs = throttle ? parseDurationMs(config.maxDelay ?? '1s') : 0
  const onStoreError = config.onStoreError ?? 'allow'
  const sendHeaders = config.headers ?? true
  const compile = (name: string, parts: readonly KeyPart[], limit: number, windowMs: number, burst: number | undefined, algorithm: 'gcra' | 'sliding-window'): CompiledLimit => ({
    name,
    parts,
    limit,
    windowMs,
    burst: burst ?? (throttle ? 1 : limit),
    algorithm,
    // The scope carries the numbers so a changed limit never inherits another limit's state.
    keyOf: compileKey(`rl:${name}:${limit}/${windowMs}:${algorithm}`, parts),
    policyItem: formatPolicyItem(name, limit, toSeconds(windowMs)),
    ratePrefix: rateItemPrefix(name),
  })
  const limits = (config.limits ?? []).map((l) => {
    const windowMs = parseDurationMs(l.window)
    return compile(l.name ?? `${l.limit}-per-${toSeconds(windowMs)}s`, l.key ?? ['consumer'], l.limit, windowMs, l.burst, l.algorithm ?? 'gcra')
  })
  const perKey = limits.filter((l) => l.parts.includes('key'))
  const routePolicyHeader = policyHeaderOf(limits)
  const concurrency = config.concurrency && {
    max: config.concurrency.max,
    leaseTtlMs: parseDurationMs(config.concurrency.leaseTtl ?? '60s'),
    keyOf: compileKey(`cc:${config.concurrency.max}`, config.concurrency.key ?? ['route']),
  }
  const quota: CompiledQuota | undefined = config.quota && {
    name: config.quota.name ?? `quota-${config.quota.period}`,
    limit: config.quota.limit,
    period: config.quota.period,
    parts: config.quota.key ?? ['key'],
    onStoreError: config.quota.onStoreError ?? 'deny',
  }
  // Each handler instance owns its own slot in ctx.locals (a route may list the policy twice).
  const leaseSlot = `rate-limit:lease:${randomUUID()}`
  const overrides = new Map<string, CompiledLimit>()
  const warn = throttledWarning(deps)

  /** The key's own limit replaces the route's per-key limits (or adds one when there is none). */
  function effectiveLimits(ctx: RequestContext): readonly CompiledLimit[] {
    const o = ctx.principal?.limits?.rateLimit
    if (!o) return limits
    const overridden = (base: { name: string; parts: readonly KeyPart[]; algorithm: 'gcra' | 'sliding-window' }): CompiledLimit => {
      const id = `${base.name}|${base.algorithm}|${o.limit}/${o.windowMs}`
      let limit = overrides.get(id)
      if (!limit) {
        limit = compile(base.name, base.parts, o.limit, o.windowMs, undefined, base.algorithm)
        // Overrides come from key settings: bounded so odd values cannot grow this map forever.
        if (overrides.size < 1000) overrides.set(id, limit)
      }
      return limit
    }
    if (perKey.length === 0) return [...limits, overridden({ name: 'key', parts: ['key'], algorithm: 'gcra' })]
    return limits.map((l) => (l.parts.includes('key') ? overridden(l) : l))
  }

  function effectiveQuota(ctx: RequestContext): CompiledQuota | undefined {
    const o = ctx.principal?.limits?.quota
    if (!o) return quota
    return { name: quota?.name ?? `quota-${o.period}`, parts: quota?.parts ?? ['key'], onStoreError: quota?.onStoreError ?? 'deny', limit: o.limit, period: o.period }
  }

  function storeFailure(what: string, setting: 'allow' | 'deny', error: unknown): Rejection | null {
    deps.metrics.decisions.inc({ policy: 'rate-limit', decision: `store-error-${setting}`, code: 'ERR_STORE_UNAVAILABLE' })
    warn(what, setting, error)
    if (setting === 'allow') return null
    const retryMs = isStateStoreUnavailable(error) ? error.retryAfterMs : 1000
    return { code: 'ERR_STORE_UNAVAILABLE', reason: `${what} store unavailable`, headers: { 'retry-after': String(Math.max(1, toSeconds(retryMs))) } }
  }

  /**
   * Rate limits first. On an in-process store with nothing else to do (no throttle delay, lease or
   * quota) the whole decision is synchronous: no promise per request.
   */
  function onRequest(ctx: RequestContext): Rejection | null | Promise<Rejection | null> {
    const active = effectiveLimits(ctx)
    if (active.length === 0) return afterLimits(ctx, active, undefined)
    const checks: LimitCheck[] = active.map((l) => ({ key: l.keyOf(ctx), algorithm: l.algorithm, limit: l.limit, windowMs: l.windowMs, burst: l.burst, maxDelayMs }))
    const state = deps.state
    if (state.consumeSync !== undefined) {
      let results: LimitResult[]
      try {
        results = state.consumeSync(checks)
      } catch (error) {
        return storeFailure('state', onStoreError, error) ?? afterLimits(ctx, active, undefined)
      }
      return afterLimits(ctx, active, results)
    }
    return state.consume(checks).then(
      (results) => afterLimits(ctx, active, results),
      (error: unknown) => storeFailure('state', onStoreError, error) ?? afterLimits(ctx, active, undefined),
    )
  }

  /** Refuses on any exceeded limit; else goes on (synchronously when nothing else remains). */
  function afterLimits(ctx: RequestContext, active: readonly CompiledLimit[], results: LimitResult[] | undefined): Rejection | null | Promise<Rejection | null> {
    const headers: HeaderValues = { policy: '', rate: '' }
    let delayMs = 0
    if (results) {
      let retryMs = 0
      let refused: string[] | undefined
      for (let i = 0; i < results.length; i++) {
        const r = results[i] as LimitResult
        const l = active[i] as CompiledLimit
        if (!r.allowed) {
          ;(refused ??= []).push(l.name)
          retryMs = Math.max(retryMs, r.retryAfterMs)
        }
        delayMs = Math.max(delayMs, r.delayMs)
        if (sendHeaders) headers.rate += (i === 0 ? '' : ', ') + l.ratePrefix + formatRateItemNumbers(r.remaining, toSeconds(r.allowed ? r.resetMs : r.retryAfterMs))
      }
      if (sendHeaders && results.length > 0) headers.policy = active === limits ? routePolicyHeader : policyHeaderOf(active)
      if (refused) {
        const seconds = Math.max(1, toSeconds(retryMs))
        return {
          code: 'ERR_RATE_LIMITED',
          detail: `Rate limit exceeded; retry in ${seconds} s.`,
          reason: `limits exceeded: ${refused.join(', ')}`,
          headers: withHeaders(headers, { 'retry-after': String(seconds) }),
          extra: { 'violated-policies': refused },
        }
      }
    }
    const q = effectiveQuota(ctx)
    if (delayMs > 0 || concurrency || q) return afterLimitsAsync(ctx, headers, delayMs, q)
    sendHeaderFields(ctx, headers)
    return null
  }

  /** Throttle delay, concurrency lease and quota: the parts that always wait for something. */
  async function afterLimitsAsync(ctx: RequestContext, headers: HeaderValues, delayMs: number, q: CompiledQuota | undefined): Promise<Rejection | null> {
    if (delayMs > 0 && !(await hold(ctx, delayMs))) {
      return { code: 'ERR_RATE_LIMITED', reason: 'client went away while throttled' }
    }

    if (concurrency) {
      const key = concurrency.keyOf(ctx)
      try {
        const id = await deps.state.acquire(key, concurrency.max, concurrency.leaseTtlMs)
        if (id === null) {
          return {
            code: 'ERR_CONCURRENCY_LIMITED',
            detail: `More than ${concurrency.max} requests in flight; retry shortly.`,
            reason: `concurrency limit ${concurrency.max} reached`,
            headers: withHeaders(headers, { 'retry-after': '1' }),
          }
        }
        ctx.locals.set(leaseSlot, { key, id })
      } catch (error) {
        const rejection = storeFailure('state', onStoreError, error)
        if (rejection) return rejection
      }
    }

    if (q) {
      const subject = compileQuotaSubject(ctx, q)
      try {
        const outcome = await chargeQuota(deps.data, subject, q.limit, q.period, clock())
        if (sendHeaders) {
          const separator = headers.policy === '' ? '' : ', '
          headers.policy += separator + formatPolicyItem(q.name, q.limit, toSeconds(outcome.periodMs))
          headers.rate += separator + rateItemPrefix(q.name) + formatRateItemNumbers(outcome.remaining, toSeconds(outcome.resetMs))
        }
        if (!outcome.allowed) {
          releaseLease(ctx)
          const seconds = Math.max(1, toSeconds(outcome.resetMs))
          return {
            code: 'ERR_QUOTA_EXCEEDED',
            detail: `The ${q.period === 'day' ? 'daily' : 'monthly'} quota of ${q.limit} requests is used up; it resets in ${seconds} s.`,
            reason: `quota ${q.name} exhausted`,
            headers: withHeaders(headers, { 'retry-after': String(seconds) }),
            extra: { 'violated-policies': [q.name] },
          }
        }
      } catch (error) {
        const rejection = storeFailure('data', q.onStoreError, error)
        if (rejection) {
          releaseLease(ctx)
          return rejection
        }
      }
    }

    sendHeaderFields(ctx, headers)
    return null
  }

  function sendHeaderFields(ctx: RequestContext, headers: HeaderValues): void {
    if (headers.policy !== '' && !ctx.res.headersSent) {
      ctx.responseHeaders['ratelimit-policy'] = headers.policy
      ctx.responseHeaders['ratelimit'] = headers.rate
    }
  }

  return {
    onRequest,

    onResponse(ctx) {
      releaseLease(ctx)
    },
  }

  function releaseLease(ctx: RequestContext): void {
    const lease = ctx.locals.get(leaseSlot) as { key: string; id: string } | undefined
    if (!lease) return
    ctx.locals.delete(leaseSlot)
    // A failed release only delays the slot's return until its TTL; never fail the response.
    deps.state.release(lease.key, lease.id).catch((error: unknown) => warn('state', 'release', error))
  }
}

/** The two RateLimit header field values built so far ('' while there is nothing to say). */
interface HeaderValues {
  policy: string
  rate: string
}

/** Adds the RateLimit fields (when there are any) to a rejection's headers. */
function withHeaders(values: HeaderValues, headers: Record<string, string>): Record<string, string> {
  if (values.policy !== '') {
    headers['ratelimit-policy'] = values.policy
    headers['ratelimit'] = values.rate
  }
  return headers
}

function policyHeaderOf(limits: readonly CompiledLimit[]): string {
  return limits.map((l) => l.policyItem).join(', ')
}

/** Quota subjects are readable ids (the data store keys usage by them), not hashes. */
function compileQuotaSubject(ctx: RequestContext, q: CompiledQuota): string {
  const p = ctx.principal
  return q.parts
    .map((part) => {
      if (!p) return `ip:${ctx.clientIp}`
      if (part === 'key') return `key:${p.credentialId ?? p.consumerId}`
      if (part === 'tenant') return `tenant:${p.tenant ?? p.consumerId}`
      return `consumer:${p.consumerId}`
    })
    .join('|')
}

/** Holds a throttled request; false when the client left meanwhile (nothing left to serve). */
async function hold(ctx: RequestContext, delayMs: number): Promise<boolean> {
  const abort = new AbortController()
  const onClose = (): void => abort.abort()
  ctx.res.once('close', onClose)
  try {
    await sleep(delayMs, undefined, { signal: abort.signal })
    return true
  } catch {
    return false
  } finally {
    ctx.res.off('close', onClose)
  }
}

/** One warning per 10 s per handler while a store fails, with the number of hidden repeats. */
function throttledWarning(deps: Pick<PolicyDeps, 'logger'>): (what: string, action: string, error: unknown) => void {
  let lastMs = 0
  let suppressed = 0
  return (what, action, error) => {
    const now = Date.now()
    if (now - lastMs < 10_000) {
      suppressed++
      return
    }
    lastMs = now
    deps.logger.warn(
      { policy: 'rate-limit', store: what, action, suppressed, err: error instanceof Error ? error.message : String(error) },
      `rate-limit: ${what} store unavailable, requests ${action === 'allow' ? 'allowed' : action === 'deny' ? 'denied' : 'unaffected'} (degraded)`,
    )
    suppressed = 0
  }
}
