import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { RequestContext } from '../../core/context.js'
import { compileKey } from './keys.js'

function contextFor(clientIp: string, headers: Record<string, string> = {}): RequestContext {
  const ctx = new RequestContext({
    id: 'req',
    req: { headers, method: 'GET' } as unknown as IncomingMessage,
    res: {} as ServerResponse,
    path: '/',
    rawQuery: '',
    clientIp,
    secure: false,
    maxBodyBytes: 1024,
    bodyTimeoutMs: 1000,
  })
  ctx.route = { name: 'r1' }
  return ctx
}

/** The key format stored state depends on: a changed format would reset every bucket on upgrade. */
function expectedKey(scope: string, values: string[]): string {
  const hash = createHash('sha256').update(scope)
  for (const value of values) hash.update('\0').update(value)
  return `${scope}:${hash.digest('base64url').slice(0, 22)}`
}

describe('rate-limit store keys', () => {
  it('hash the scope and each part value, the same on every call', () => {
    const keyOf = compileKey('rl:per-ip:10/1000:gcra', ['ip', 'route'])
    const first = keyOf(contextFor('10.0.0.1'))
    assert.equal(first, expectedKey('rl:per-ip:10/1000:gcra', ['ip:10.0.0.1', 'route:r1']))
    assert.equal(keyOf(contextFor('10.0.0.1')), first, 'a repeated client gets the same key')
    assert.notEqual(keyOf(contextFor('10.0.0.2')), first)
  })

  it('keep scopes apart even for the same client', () => {
    const ctx = contextFor('10.0.0.1')
    assert.notEqual(compileKey('rl:a:10/1000:gcra', ['ip'])(ctx), compileKey('rl:b:10/1000:gcra', ['ip'])(ctx))
  })

  it('hash long client-chosen values too (without holding them)', () => {
    const keyOf = compileKey('rl:per-client:5/1000:gcra', ['header:x-client'])
    const long = 'x'.repeat(5000)
    const key = keyOf(contextFor('10.0.0.1', { 'x-client': long }))
    assert.equal(key, expectedKey('rl:per-client:5/1000:gcra', [`x-client:${long}`]))
    assert.ok(key.length < 60)
    assert.equal(keyOf(contextFor('10.0.0.1', { 'x-client': long })), key)
  })
})
