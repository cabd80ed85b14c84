import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createDdwafEngine, retryingOnce } from './ddwaf-engine.js'
import { buildPayload, ownerOf, windowSpans } from './ddwaf-payload.js'
import { extractRequest, type InspectedValue, type RequestParts } from './extract.js'
import { normalizeValue } from './normalize.js'
import { CATEGORIES, resolveInjectionGuardConfig } from './schema.js'
import { selectRules } from './rule-set.js'
import { loadCorpus, OWN_CORPORA } from '../../../test/helpers/corpora.js'

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

/** The reference engine: no screens, no markup gate, every rule on every value in one pass. */
const reference = createDdwafEngine(rules, { reference: true })
after(() => reference.dispose())
const matchedIds = (e: ReturnType<typeof createDdwafEngine>, values: InspectedValue[]): string[] => [...new Set(e.run(values, 5000).matches.map((m) => m.rule.id))].sort()

/** Every corpus case as the guard would inspect it: extracted and normalised, one batch per request. */
function corpusRequests(): InspectedValue[][] {
  const config = resolveInjectionGuardConfig({})
  const limits = { maxDepth: config.limits.maxDepth, maxValues: config.limits.maxValues, maxBytes: config.limits.maxBytes }
  const headers = { include: new Set(config.headers.map((h) => h.toLowerCase())), skip: new Set(config.skipHeaders.map((h) => h.toLowerCase())) }
  return OWN_CORPORA.flatMap((file) => loadCorpus(file, 'own')).map((c) => {
    const [path = '/', rawQuery = ''] = c.uri.split(/\?(.*)/s)
    const parts: RequestParts = { method: c.method, path, rawQuery, headers: c.headers, body: c.body }
    return extractRequest(parts, limits, headers).values.map((v) => ({ ...v, value: normalizeValue(v.value) }))
  })
}

test('the screened engine finds exactly the rules the unscreened engine finds, value by value', () => {
  const sample = corpusValues().filter((_, i) => i % 3 === 0)
  for (const value of sample) assert.deepEqual(matchedIds(engine, [value]), matchedIds(reference, [value]), value.value)
})

test('the screened engine finds exactly what the unscreened engine finds in whole requests', () => {
  // Whole requests (path, query, headers, cookies, body: many values, side by side), and requests
  // mixed three at a time so attacks sit between benign values, at every position.
  const requests = corpusRequests()
  const mixed = requests.map((values, i) => [...values, ...(requests[i + 1] ?? []), ...(requests[i + 2] ?? [])].reverse())
  for (const values of [...requests, ...mixed]) {
    if (values.length === 0) continue
    assert.deepEqual(matchedIds(engine, values), matchedIds(reference, values), values.map((v) => v.value).join(' | '))
  }
})

test('a merged run of many requests is quiet only when none of them matches anything', () => {
  const requests = corpusRequests().filter((values) => values.length > 0)
  let quiet = 0
  let attacked = 0
  for (let i = 0; i < requests.length; i += 4) {
    const group = requests.slice(i, i + 4)
    const matches = group.some((values) => reference.run(values, 5000).matches.length > 0)
    const isQuiet = engine.isQuiet(group.flat(), 5000)
    if (matches) {
      attacked++
      assert.equal(isQuiet, false, group.flat().map((v) => v.value).join(' | '))
    } else if (isQuiet) quiet++
  }
  // Both kinds of group occur: the check is exercised either way.
  assert.ok(attacked > 20 && quiet > 20, `attacked ${attacked}, quiet ${quiet}`)
})

test('a run is clean exactly when the reference engine matches nothing; a settled false alarm is clean too', () => {
  let settled = 0
  let attacked = 0
  for (const values of corpusRequests()) {
    const expected = reference.run(values, 5000).matches.length === 0
    const result = engine.run(values, 5000)
    assert.equal(result.clean, expected, values.map((v) => v.value).join(' | '))
    if (!expected) attacked++
    else if (!result.quiet) settled++
  }
  // A JSON key `id` (the Unix command) wakes a paranoia-4 screen, and no rule matches it.
  const key: InspectedValue = { source: 'body', location: 'body.id', value: 'id', isKey: true }
  const falseAlarm = engine.run([key], 5000)
  assert.deepEqual([falseAlarm.quiet, falseAlarm.clean, falseAlarm.matches.length], [false, true, 0])
  assert.ok(attacked > 100 && settled > 0, `attacked ${attacked}, settled false alarms ${settled}`)
})

test("libinjection's XSS check never fires without `<` or `=` (the markup gate's premise)", () => {
  const xss = createDdwafEngine(rules.filter((r) => r.operator === 'is_xss'), { reference: true })
  try {
    const fires = (value: string): boolean => xss.run([{ source: 'body', location: 'body.x', value }], 5000).matches.length > 0
    const corpus = corpusRequests().flat().map((v) => v.value)
    assert.ok(corpus.filter(fires).length > 20, 'the corpus must exercise the XSS check')
    // Attribute injection needs no `<`: the gated engine must still see these.
    const xssId = rules.find((r) => r.operator === 'is_xss')!.id
    for (const value of ['x" onerror="alert(1)', "' onfocus=alert(1) autofocus '", 'a style=x:expression(alert(1))']) {
      assert.ok(fires(value), value)
      assert.ok(matchedIds(engine, [{ source: 'query', location: 'query.q', value }]).includes(xssId), value)
    }
    // Every corpus value with its `<` and `=` turned into other characters the tokenizer cares about.
    for (const value of corpus)
      for (const stand of [' ', '>', '"', '/'])
        if (/[<=]/.test(value)) assert.equal(fires(value.replace(/[<=]/g, stand)), false, value)
    // Random strings over HTML's syntax characters and attack words, without `<` and `=`.
    const pieces = [...'>"\'`/ !?-&#;:\t\n', 'onerror', 'onload', 'style', 'href', 'src', 'javascript:', 'data:', 'script', 'svg', 'img', 'x', '[if', 'xml', 'import', 'entity', 'DOCTYPE', '!--']
    let seed = 42
    const next = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 0x1_0000_0000)
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: 1 + Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join('')
      assert.equal(fires(text), false, text)
    }
  } finally {
    xss.dispose()
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

test("windows of long text fit libddwaf's 4096 bytes, overlap by 512 code units and cover every unit", () => {
  const pieces = ['a', ' ', 'é', '中', '😀', '\ud800', '\udc00', "'; cat /etc/passwd"]
  let seed = 7
  const next = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 0x1_0000_0000)
  for (let round = 0; round < 300; round++) {
    const favourite = pieces[Math.floor(next() * pieces.length)]!
    const length = Math.floor(next() * 12_000)
    let text = ''
    while (text.length < length) text += next() < 0.7 ? favourite : pieces[Math.floor(next() * pieces.length)]!
    const split = (at: number): boolean => (text.charCodeAt(at - 1) & 0xfc00) === 0xd800 && (text.charCodeAt(at) & 0xfc00) === 0xdc00
    let previousEnd = 0
    for (const [i, [start, end]] of windowSpans(text).entries()) {
      assert.ok(Buffer.byteLength(text.slice(start, end), 'utf8') <= 4096, `window ${i} of round ${round} is too long`)
      assert.ok(i === 0 ? start === 0 : previousEnd - start >= 511, `window ${i} of round ${round} overlaps only ${previousEnd - start}`)
      assert.ok(end > previousEnd || end === text.length, `window ${i} of round ${round} does not move forward`)
      assert.ok(!split(start) && !split(end), `window ${i} of round ${round} splits a surrogate pair`)
      previousEnd = end
    }
    assert.equal(previousEnd, text.length, 'the windows reach the end')
  }
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
    const alone = createDdwafEngine([rule], { reference: true })
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
  const run = retryingOnce(() => ({ matches: [], timedOut: outcomes[calls++]!, quiet: false, clean: false }))
  assert.equal(run().timedOut, false, 'a descheduled first run is forgiven by a second in time')
  assert.equal(calls, 2)
  calls = 0
  outcomes.splice(0, 2, false, true)
  assert.equal(run().timedOut, false)
  assert.equal(calls, 1, 'a run in time is not repeated')
})

test("the node-re2 screen's time counts against the budget", () => {
  // A clock on which every node-re2 screen takes 3 ms.
  let now = 0
  const slow = createDdwafEngine(selectRules(1, CATEGORIES), { clockUs: () => (now += 3000) })
  try {
    const clean: InspectedValue[] = [{ source: 'body', location: 'body.note', value: 'Drop me a line' }]
    assert.equal(slow.run(clean, 2).timedOut, true, 'a 2 ms budget is exceeded (and exceeded again on the retry)')
    assert.equal(slow.isQuiet(clean, 2), false)
    assert.deepEqual([slow.run(clean, 5).timedOut, slow.isQuiet(clean, 5)], [false, true], 'a 5 ms budget is not')
  } finally {
    slow.dispose()
  }
})

test('a budget no run can meet still times out (the retry hides nothing)', () => {
  const value: InspectedValue = { source: 'body', location: 'body.q', value: "1' union select password from users -- ".repeat(400) }
  assert.equal(engine.run([value], 0.000_001).timedOut, true)
})
