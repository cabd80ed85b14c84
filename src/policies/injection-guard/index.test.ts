import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { SecurityEvents, type SecurityEvent } from '../../core/events.js'
import type { PolicyDeps } from '../../core/types.js'
import type { RequestContext } from '../../core/context.js'
import { injectionGuardPolicy, ATTACK_DETAIL } from './index.js'
import { resolveInjectionGuardConfig } from './schema.js'

/** The few RequestContext members the policy reads; the rest of the gateway is not needed here. */
function fakeContext(over: { path?: string; rawQuery?: string; headers?: Record<string, string>; body?: string }): RequestContext {
  const body = Buffer.from(over.body ?? '')
  return {
    id: 'req-123',
    method: over.body ? 'POST' : 'GET',
    path: over.path ?? '/v1/stations',
    rawQuery: over.rawQuery ?? '',
    headers: over.headers ?? {},
    clientIp: '192.0.2.7',
    route: { name: 'stations' },
    readBody: () => Promise.resolve(body),
  } as unknown as RequestContext
}

function deps(events: SecurityEvents): PolicyDeps {
  return { logger: pino({ level: 'silent' }), events } as unknown as PolicyDeps
}

test('policy metadata', () => {
  assert.equal(injectionGuardPolicy.name, 'injection-guard')
  assert.equal(injectionGuardPolicy.stage, 'validate')
  assert.equal(injectionGuardPolicy.readsBody, true)
})

test('blocks with a generic 403 Rejection and publishes an attack event with locations and excerpts', async () => {
  const events = new SecurityEvents()
  const seen: SecurityEvent[] = []
  events.subscribe((e) => seen.push(e))
  const handler = await injectionGuardPolicy.create(resolveInjectionGuardConfig(), deps(events))
  const rejection = await handler.onRequest(
    fakeContext({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ comment: "x' UNION SELECT password FROM users --" }) }),
  )
  assert.ok(rejection)
  assert.equal(rejection.code, 'ERR_ATTACK_DETECTED')
  assert.equal(rejection.detail, ATTACK_DETAIL)
  assert.ok(!rejection.detail?.includes('UNION'))
  assert.equal(seen.length, 1)
  const event = seen[0]!
  assert.equal(event.type, 'attack')
  assert.equal(event.action, 'reject')
  assert.equal(event.requestId, 'req-123')
  const rules = event.details?.['rules'] as { id: string; category: string; location: string; excerpt: string }[]
  assert.ok(rules.some((r) => r.category === 'sqli' && r.location === 'body.comment' && r.excerpt.length <= 64))
  await handler.close?.()
})

test('passes clean requests without an event', async () => {
  const events = new SecurityEvents()
  const seen: SecurityEvent[] = []
  events.subscribe((e) => seen.push(e))
  const handler = await injectionGuardPolicy.create(resolveInjectionGuardConfig(), deps(events))
  const result = await handler.onRequest(fakeContext({ rawQuery: 'q=drop%20me%20a%20line&name=O%27Brien' }))
  assert.equal(result, null)
  assert.equal(seen.length, 0)
  await handler.close?.()
})
