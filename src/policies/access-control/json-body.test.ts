import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileFieldPath, forEachMatch, getAtPath, isJsonMediaType, parseJsonStrict, removeAt } from './json-body.js'

test('duplicate keys are found after unescaping, per object, and not inside strings', () => {
  assert.equal(parseJsonStrict('{"a":1,"a":2}').ok, false)
  const escaped = parseJsonStrict('{"tenant":"x","\\u0074enant":"y"}')
  assert.equal(escaped.ok, false)
  assert.match(!escaped.ok ? escaped.reason : '', /duplicate JSON key "tenant"/)
  assert.equal(parseJsonStrict('{"a":{"b":1},"b":{"a":2},"c":[{"a":1},{"a":2}]}').ok, true, 'same key in sibling objects is fine')
  assert.equal(parseJsonStrict('{"a":"{\\"a\\":1,","b":"\\"a\\""}').ok, true, 'braces and quotes inside strings')
  assert.equal(parseJsonStrict('{"x":[1,{"k":1,"k":2}]}').ok, false, 'nested duplicate')
  assert.equal(parseJsonStrict('[{"a":1},{"a":1}]').ok, true)
  assert.equal(parseJsonStrict('"a"').ok, true)
  assert.equal(parseJsonStrict('{"a":').ok, false)
})

test('duplicate scan is linear: a deep, wide document is checked quickly', () => {
  const wide = `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":"${'v'.repeat(20)}"`).join(',')}}`
  const started = process.hrtime.bigint()
  assert.equal(parseJsonStrict(wide).ok, true)
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
  // Generous bound: a quadratic scan of 1.5 MB would take minutes, a linear one milliseconds.
  assert.ok(elapsedMs < 5_000, `took ${elapsedMs} ms`)
})

test('media types: JSON and +json only', () => {
  assert.equal(isJsonMediaType('application/json; charset=utf-8'), true)
  assert.equal(isJsonMediaType('Application/Merge-Patch+JSON'), true)
  assert.equal(isJsonMediaType('text/json'), false)
  assert.equal(isJsonMediaType('application/x-www-form-urlencoded'), false)
  assert.equal(isJsonMediaType(undefined), false)
})

test('field paths: pointers with escapes, top-level names, arrays', () => {
  const doc = { 'a/b': { '~c': [10, 20] }, name: 'n' }
  assert.equal(getAtPath(doc, compileFieldPath('/a~1b/~0c/1')), 20)
  assert.equal(getAtPath(doc, compileFieldPath('name')), 'n')
  assert.equal(getAtPath(doc, compileFieldPath('/a~1b/~0c/01')), undefined, 'no leading zeros')
  assert.equal(getAtPath(doc, compileFieldPath('/missing/x')), undefined)
  assert.equal(getAtPath({}, compileFieldPath('/__proto__')), undefined, 'inherited members are not fields')
})

test('forEachMatch + removeAt: wildcard over arrays and objects, case-insensitive keys', () => {
  const doc = { users: { u1: { Role: 'a' }, u2: { role: 'b' }, u3: {} }, list: [1, 2, 3] }
  const hits: string[] = []
  forEachMatch(doc, compileFieldPath('/users/*/role'), (c, k) => {
    hits.push(String(k))
    removeAt(c, k)
  })
  assert.deepEqual(hits.sort(), ['Role', 'role'])
  assert.deepEqual(doc.users, { u1: {}, u2: {}, u3: {} })
  forEachMatch(doc, compileFieldPath('/list/*'), (c, k) => {
    if ((c as number[])[k as number] !== 2) removeAt(c, k)
  })
  assert.deepEqual(doc.list, [2])
})
