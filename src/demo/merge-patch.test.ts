import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { applyMergePatch } from './merge-patch.js'

describe('applyMergePatch (RFC 7396)', () => {
  it('passes every example of RFC 7396 Appendix A', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ]
    for (const [target, patch, expected] of cases) {
      assert.deepEqual(applyMergePatch(target, patch), expected, JSON.stringify({ target, patch }))
    }
  })

  it('does not mutate the target', () => {
    const target = { a: { b: 1 }, c: [1] }
    const snapshot = structuredClone(target)
    applyMergePatch(target, { a: { b: null, d: 2 }, c: null })
    assert.deepEqual(target, snapshot)
  })

  it('treats __proto__ as a plain member, never as a prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown
    const result = applyMergePatch({}, patch) as Record<string, unknown>
    assert.equal(Object.getPrototypeOf(result), Object.prototype)
    assert.equal((result as { polluted?: unknown }).polluted, undefined)
    assert.equal(({} as { polluted?: unknown }).polluted, undefined)
    assert.deepEqual(Object.keys(result).sort(), ['__proto__', 'x'])
  })
})
