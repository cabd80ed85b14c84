import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createDdwafEngine, retryingOnce } from './ddwaf-engine.js'
import { buildPayload, ownerOf } from './ddwaf-payload.js'
import { selectRules } from './rule-set.js'
import { CATEGORIES } from './schema.js'
import type { InspectedValue } from './extract.js'
import type { CompiledRule } from './rule-types.js'

const rules = selectRules(4, CATEGORIES)
const engine = createDdwafEngine(rules)
after(() => engine.dispose())

/** Every string of the project's attack corpus, as body values. */
function corpusValues(): InspectedValue[] {
  const lines = readFileSync(new URL('../../../corpora/attacks-api.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean)
  return lines.map((line, i) => {
    const c = JSON.parse(line) as { uri: string; body: string }
    return { source: 'body', location: `body.case${i}`, value: decodeURIComponent(c.uri.replace(/\+/g, ' ')) + ' ' + c.body }
  })
}

test('screened engine finds exactly the rules a one-rule engine finds (screens are sound)', () => {
  // Per value, compare with engines that each hold a single rule and no screen at all.
  const sample = corpusValues().filter((_, i) => i % 7 === 0)
  const singles = new Map<string, ReturnType<typeof createDdwafEngine>>()
  const single = (rule: CompiledRule): ReturnType<typeof createDdwafEngine> => {
    let e = singles.get(rule.id)
    if (!e) singles.set(rule.id, (e = createDdwafEngine([rule])))
    return e
  }
  try {
    for (const value of sample) {
      const screened = new Set(engine.run([value], 1000).matches.map((m) => m.rule.id))
      const expected = new Set(rules.filter((r) => single(r).run([value], 1000).matches.length > 0).map((r) => r.id))
      assert.deepEqual([...screened].sort(), [...expected].sort(), value.value)
    }
  } finally {
    for (const e of singles.values()) e.dispose()
  }
})

test('payload entries resolve back to their values; duplicates go to the first occurrence', () => {
  const values: InspectedValue[] = [
    { source: 'body', location: 'body.kind', value: 'kind', isKey: true },
    { source: 'body', location: 'body.a', value: "it's fine" },
    { source: 'body', location: 'body.b', value: "it's fine" },
  ]
  const payload = buildPayload(values)
  assert.deepEqual(payload.data['portcullis.request.keys'], ['kind'])
  assert.deepEqual(payload.data['server.request.body'], ["it's fine"])
  assert.equal(ownerOf(payload, 'server.request.body', [0]), 1)
  assert.equal(ownerOf(payload, 'server.request.body', [5]), undefined)
})

test('a screened attack word in a plain identifier still reaches its rule', () => {
  const match = engine.run([{ source: 'query', location: 'query.db', value: 'northwind' }], 1000).matches
  assert.ok(match.some((m) => m.rule.id === 'pc-sqli-314'))
})

test('long values and many values are split within libddwaf limits and still resolve', () => {
  const many: InspectedValue[] = Array.from({ length: 600 }, (_, i) => ({ source: 'body', location: `body.items[${i}]`, value: `item ${i}` }))
  many.push({ source: 'body', location: 'body.last', value: "x' UNION SELECT password FROM users --" })
  const found = engine.run(many, 1000).matches.filter((m) => m.rule.category === 'sqli')
  assert.ok(found.length > 0)
  assert.ok(found.every((m) => m.value.location === 'body.last'))
})

test('case-sensitive rules screened by a lower-case screen still fire on every corpus value they match', () => {
  // Their screens scan lowercase(value) with the pattern wrapped in (?i:): check over the whole corpus.
  const sensitive = rules.filter((r) => r.operator === 'match_regex' && r.caseSensitive === true && (r.transformers ?? []).length === 0)
  assert.ok(sensitive.length > 0)
  const values = corpusValues()
  for (const rule of sensitive) {
    const alone = createDdwafEngine([rule])
    try {
      for (const value of values) {
        if (alone.run([value], 1000).matches.length === 0) continue
        assert.ok(engine.run([value], 1000).matches.some((m) => m.rule.id === rule.id), `${rule.id}: ${value.value}`)
        // Upper-casing the value must not matter to the screen either (the rule itself decides).
        const upper = { ...value, value: value.value.toUpperCase() }
        assert.equal(engine.run([upper], 1000).matches.some((m) => m.rule.id === rule.id), alone.run([upper], 1000).matches.length > 0, `${rule.id}: ${upper.value}`)
      }
    } finally {
      alone.dispose()
    }
  }
})

test('a timed-out run is run once more, and only two consecutive timeouts count', () => {
  const outcomes = [true, false]
  let calls = 0
  const run = retryingOnce(() => ({ matches: [], timedOut: outcomes[calls++]!, quiet: false }))
  assert.equal(run().timedOut, false, 'a descheduled first run is forgiven by a second in time')
  assert.equal(calls, 2)
  calls = 0
  outcomes.splice(0, 2, false, true)
  assert.equal(run().timedOut, false)
  assert.equal(calls, 1, 'a run in time is not repeated')
})

test('a budget no run can meet still times out (the retry hides nothing)', () => {
  const value: InspectedValue = { source: 'body', location: 'body.q', value: "1' union select password from users -- ".repeat(400) }
  assert.equal(engine.run([value], 0.000_001).timedOut, true)
})
