/**
 * The request pipeline: five stages in a fixed order, policies in config order inside a stage.
 * Compiled once per route at config load; per request it is a loop over an array.
 *
 * The pipeline, not each policy, owns `enabled`, `methods`, `mode: monitor`, decision metrics and
 * security events. Inside the authn stage, policies are alternatives: the first that produces a
 * Principal wins, "no credential of my kind" (ERR_AUTH_REQUIRED) lets the next one try, and any
 * other refusal (a credential that is present but bad) ends the request — fail closed.
 */
import { STAGES, type Policy, type PolicyDeps, type PolicyHandler, type Rejection, type Stage } from './types.js'
import type { RequestContext } from './context.js'
import type { PolicyInstanceConfig } from '../config/schema.js'

/** One policy instance, ready to run. */
export interface CompiledPolicy {
  name: string
  stage: Stage
  mode: 'enforce' | 'monitor'
  methods: ReadonlySet<string> | undefined
  /** True for stages after authn (authz, traffic, validate): they run with the Principal settled. */
  afterAuthn: boolean
  handler: PolicyHandler
}

/** A refusal together with the policy that produced it. */
export interface PipelineRejection {
  policy: string
  rejection: Rejection
}

/** A route's policies in run order. */
export interface CompiledPipeline {
  policies: readonly CompiledPolicy[]
  /** True when a policy inspects the body (then it is buffered, capped, before the proxy). */
  readsBody: boolean
  run(ctx: RequestContext): Promise<PipelineRejection | null>
  close(): Promise<void>
}

/** Builds the pipeline for one route from the global and the route's own policy instances. */
export async function compilePipeline(
  instances: readonly PolicyInstanceConfig[],
  registry: ReadonlyMap<string, Policy>,
  deps: PolicyDeps,
): Promise<CompiledPipeline> {
  const compiled: CompiledPolicy[] = []
  let readsBody = false
  for (const stage of STAGES) {
    for (const instance of instances) {
      const policy = registry.get(instance.name)
      if (!policy) throw new Error(`unknown policy ${instance.name}`)
      if (policy.stage !== stage || !instance.enabled) continue
      readsBody ||= policy.readsBody === true
      compiled.push({
        name: policy.name,
        stage,
        mode: instance.mode,
        // The router sends HEAD to GET routes, so a policy for GET must guard HEAD too.
        methods: instance.methods ? new Set<string>(instance.methods.includes('GET' as never) ? [...instance.methods, 'HEAD'] : instance.methods) : undefined,
        afterAuthn: STAGES.indexOf(stage) > STAGES.indexOf('authn'),
        handler: await policy.create(instance.config as never, deps),
      })
    }
  }
  return {
    policies: compiled,
    readsBody,
    run: (ctx) => runPolicies(compiled, ctx, deps),
    async close() {
      await Promise.allSettled(compiled.map((p) => p.handler.close?.()))
    },
  }
}

async function runPolicies(policies: readonly CompiledPolicy[], ctx: RequestContext, deps: PolicyDeps): Promise<PipelineRejection | null> {
  let missing: { policy: CompiledPolicy; rejection: Rejection } | null = null
  let challenges: string[] = []
  let authnSettled = false
  // Once the authn stage is over, an unanswered "credential required" becomes the answer.
  const settleAuthn = (): PipelineRejection | null => {
    authnSettled = true
    if (!missing || ctx.principal) return null
    record(deps, ctx, missing.policy, missing.rejection)
    if (missing.policy.mode === 'monitor') return null
    const headers = challenges.length > 1 ? { ...missing.rejection.headers, 'www-authenticate': challenges.join(', ') } : missing.rejection.headers
    return { policy: missing.policy.name, rejection: { ...missing.rejection, headers } }
  }
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i]!
    if (!authnSettled && p.afterAuthn) {
      const refusal = settleAuthn()
      if (refusal) return refusal
    }
    if (p.methods && !p.methods.has(ctx.method)) continue
    if (p.stage === 'authn' && ctx.principal) continue
    let result = p.handler.onRequest(ctx)
    if (result !== null && typeof (result as Promise<unknown>).then === 'function') result = await result
    const rejection = result as Rejection | null
    if (!rejection) continue
    if (p.stage === 'authn' && rejection.code === 'ERR_AUTH_REQUIRED') {
      // Not this policy's kind of credential: remember the challenge, let the next authn policy try.
      missing ??= { policy: p, rejection }
      const challenge = rejection.headers?.['www-authenticate']
      if (challenge) challenges = [...challenges, challenge]
      continue
    }
    record(deps, ctx, p, rejection)
    if (p.mode === 'enforce') return { policy: p.name, rejection }
  }
  return authnSettled ? null : settleAuthn()
}

function record(deps: PolicyDeps, ctx: RequestContext, p: CompiledPolicy, rejection: Rejection): void {
  const action = p.mode === 'enforce' ? 'reject' : 'monitor'
  deps.metrics.decisions.inc({ policy: p.name, decision: action, code: rejection.code })
  if (p.mode === 'monitor') ctx.decision = ctx.decision === 'allow' ? `monitor:${rejection.code}` : ctx.decision
  deps.events.publish({
    type: 'policy.decision',
    action,
    requestId: ctx.id,
    policy: p.name,
    code: rejection.code,
    reason: rejection.reason,
    clientIp: ctx.clientIp,
    route: ctx.route.name,
    method: ctx.method,
    path: ctx.path,
    principal: ctx.principal && {
      subject: ctx.principal.subject,
      consumerId: ctx.principal.consumerId,
      method: ctx.principal.method,
      credentialId: ctx.principal.credentialId,
      tenant: ctx.principal.tenant,
    },
  })
}
