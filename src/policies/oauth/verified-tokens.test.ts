import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { revokedAccessTokenKey } from '../../auth-server/state-keys.js'
import { MAX_TOKEN_LENGTH } from './jwt-verify.js'
import { BUDGET_BYTES_PER_ENTRY, createVerifiedTokenCache, verifiedToken } from './verified-tokens.js'

const MAPPING = { tenantClaim: 'tenant', rolesClaim: 'roles', scopeClaim: 'scope' }
const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const LIMITS = { cacheMs: 60_000, maxTokenAgeMs: 86_400_000 }
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: 'https://gw.example', sub: 'cons-1', aud: 'api', iat: NOW_S, exp: NOW_S + 600, jti: 'j-1', client_id: 'svc', scope: 'a b', roles: ['ops'], tenant: 't', ...extra,
})

describe('verifiedToken', () => {
  it('precomputes the Principal, the granted scopes and the revocation key', () => {
    const entry = verifiedToken(claims(), 'https://gw.example', MAPPING, NOW_MS, LIMITS)
    assert.equal(entry.principal.subject, 'cons-1')
    assert.equal(entry.principal.tenant, 't')
    assert.equal(entry.principal.credentialId, 'svc')
    assert.deepEqual(entry.principal.scopes, ['a', 'b'])
    assert.deepEqual([...entry.granted], ['a', 'b'])
    assert.equal(entry.revocationKey, revokedAccessTokenKey('https://gw.example', 'j-1'))
    assert.equal(verifiedToken(claims({ jti: undefined }), 'https://gw.example', MAPPING, NOW_MS, LIMITS).revocationKey, undefined)
  })

  it('freezes what concurrent requests share', () => {
    const { principal } = verifiedToken(claims(), 'https://gw.example', MAPPING, NOW_MS, LIMITS)
    assert.ok(Object.isFrozen(principal))
    assert.ok(Object.isFrozen(principal.scopes))
    assert.ok(Object.isFrozen(principal.roles))
    assert.ok(Object.isFrozen(principal.claims))
    assert.throws(() => {
      ;(principal as { subject: string }).subject = 'someone-else'
    }, TypeError)
  })

  it('is reusable until the earliest of the cache lifetime, exp and iat + maxTokenAge', () => {
    const until = (extra: Record<string, unknown>, limits = LIMITS): number => verifiedToken(claims(extra), 'i', MAPPING, NOW_MS, limits).untilMs
    assert.equal(until({}), NOW_MS + 60_000, 'cache lifetime')
    assert.equal(until({ exp: NOW_S + 10 }), NOW_MS + 10_000, 'exp, without the verifier leeway')
    assert.equal(until({ iat: NOW_S - 3600 }, { cacheMs: 60_000, maxTokenAgeMs: 3_600_000 + 5_000 }), NOW_MS + 5_000, 'maxTokenAge')
  })
})

describe('createVerifiedTokenCache', () => {
  const entry = (untilMs: number) => ({ ...verifiedToken(claims(), 'i', MAPPING, NOW_MS, LIMITS), untilMs })

  it('is off when the size or the lifetime is zero', () => {
    assert.equal(createVerifiedTokenCache(0, 60_000), undefined)
    assert.equal(createVerifiedTokenCache(100, 0), undefined)
  })

  it('never returns an entry at or after its reuse deadline', () => {
    const cache = createVerifiedTokenCache(10, 60_000)!
    const e = entry(NOW_MS + 1000)
    cache.set('tok', e)
    assert.equal(cache.get('tok', NOW_MS + 999), e)
    assert.equal(cache.get('tok', NOW_MS + 1000), undefined)
    assert.equal(cache.get('tok', NOW_MS), undefined, 'a stale entry is dropped, not kept for an earlier clock')
  })

  it('answers only for the exact token, never for another token sharing its signature segment or a prefix', () => {
    const cache = createVerifiedTokenCache(10, 60_000)!
    const e = entry(NOW_MS + 1000)
    cache.set('hdr.payload.sig', e)
    assert.equal(cache.get('hdr.payload.sig', NOW_MS), e)
    assert.equal(cache.get('hdr.forged.sig', NOW_MS), undefined)
    assert.equal(cache.get('sig', NOW_MS), undefined)
    assert.equal(cache.get('hdr.payload.si', NOW_MS), undefined)
    assert.equal(cache.get('hdr.payload.sig', NOW_MS), e, 'a near miss does not evict the genuine entry')
  })

  it('holds at most verifiedCacheSize entries, least recently used out first', () => {
    const cache = createVerifiedTokenCache(3, 60_000)!
    for (const t of ['t1', 't2', 't3']) cache.set(t, entry(NOW_MS + 1000))
    assert.ok(cache.get('t1', NOW_MS))
    cache.set('t4', entry(NOW_MS + 1000))
    assert.equal(cache.get('t2', NOW_MS), undefined)
    for (const t of ['t1', 't3', 't4']) assert.ok(cache.get(t, NOW_MS), t)
  })

  it('bounds memory: long tokens count for more, yet a single maximal token still fits', () => {
    const size = 10
    const cache = createVerifiedTokenCache(size, 60_000)!
    const long = (i: number): string => String(i).padEnd(MAX_TOKEN_LENGTH, 'x')
    for (let i = 0; i < size; i++) cache.set(long(i), entry(NOW_MS + 1000))
    const kept = Array.from({ length: size }, (_, i) => cache.get(long(i), NOW_MS)).filter(Boolean).length
    assert.ok(kept >= 1 && kept < size, `kept ${kept} of ${size} maximal tokens`)
    assert.ok(cache.get(long(size - 1), NOW_MS), 'the newest is kept')
    assert.ok(kept * MAX_TOKEN_LENGTH <= size * BUDGET_BYTES_PER_ENTRY + 3 * MAX_TOKEN_LENGTH)

    const tiny = createVerifiedTokenCache(1, 60_000)!
    tiny.set(long(0), entry(NOW_MS + 1000))
    assert.ok(tiny.get(long(0), NOW_MS), 'a size-1 cache still holds one maximal token')
  })
})
