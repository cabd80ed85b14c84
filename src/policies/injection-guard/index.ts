/**
 * `injection-guard` — the gateway's WAF. Threat: a client smuggles SQL, shell commands, code,
 * script, traversal, NoSQL operators, internal URLs or XML entities into any part of a request a
 * backend may interpret (path, query, headers, cookies, JSON/XML/form/multipart bodies), often
 * encoded to slip past naive filters. Answer: extract every such string within fixed limits,
 * normalise it, run Portcullis's own rule set on libddwaf (libinjection + RE2, linear time),
 * score matches as OWASP CRS does and reject at the threshold.
 *
 * Failure modes: past a limit or the time budget the outcome is `onLimit` (block by default);
 * a rule libddwaf cannot compile fails policy creation, never a request; false positives are
 * handled by per-route `exclusions`. Monitor mode is the pipeline's: the Rejection is counted,
 * not enforced.
 */
import type { Policy, PolicyHandler } from '../../core/types.js'
import type { RequestContext } from '../../core/context.js'
import { InjectionGuardSchema, type InjectionGuardConfig } from './schema.js'
import { createInjectionGuard, type Verdict } from './injection-guard.js'
import { createTurnBatch } from './turn-batch.js'

export { InjectionGuardSchema, type InjectionGuardConfig } from './schema.js'
export { createInjectionGuard, type InjectionGuard, type Verdict, type Detection } from './injection-guard.js'
export type { RequestParts } from './extract.js'

/** Client-facing detail: deliberately generic, so the response teaches an attacker nothing. */
export const ATTACK_DETAIL = 'The request was blocked by the gateway security policy.'
const POLICY = 'injection-guard'

function eventDetails(verdict: Verdict): Record<string, unknown> {
  return {
    score: verdict.score,
    limitHit: verdict.limitHit,
    rules: verdict.detections.map((d) => ({ id: d.id, category: d.category, severity: d.severity, location: d.location, excerpt: d.excerpt })),
  }
}

/** The `injection-guard` policy (validate stage; reads the body). */
export const injectionGuardPolicy: Policy<typeof InjectionGuardSchema> = {
  name: POLICY,
  stage: 'validate',
  schema: InjectionGuardSchema,
  readsBody: true,
  create(config: InjectionGuardConfig, deps): PolicyHandler {
    const guard = createInjectionGuard(config)
    const inspect = createTurnBatch(guard.inspectMany, guard.inspect)
    return {
      async onRequest(ctx: RequestContext) {
        const body = await ctx.readBody()
        const verdict = await inspect({ method: ctx.method, path: ctx.path, rawQuery: ctx.rawQuery, headers: ctx.headers, body })
        if (verdict.detections.length === 0 && !verdict.limitHit) return null
        if (deps.events.hasSubscribers) {
          deps.events.publish({
            type: 'attack',
            action: verdict.block ? 'reject' : 'info',
            policy: POLICY,
            requestId: ctx.id,
            code: verdict.block ? 'ERR_ATTACK_DETECTED' : undefined,
            reason: verdict.reason ?? `anomaly score ${verdict.score} below threshold`,
            clientIp: ctx.clientIp,
            route: ctx.route.name,
            method: ctx.method,
            path: ctx.path,
            details: eventDetails(verdict),
          })
        }
        if (!verdict.block) return null
        return {
          code: 'ERR_ATTACK_DETECTED',
          detail: ATTACK_DETAIL,
          reason: verdict.reason,
        }
      },
      close() {
        guard.close()
      },
    }
  },
}
