import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createDdwafEngine } from './ddwaf-engine.js'
import { mayBeMarkup } from './markup-gate.js'
import { extractRequest } from './extract.js'
import { normalizeValue } from './normalize.js'
import { CATEGORIES, resolveInjectionGuardConfig } from './schema.js'
import { selectRules } from './rule-set.js'
import { loadCorpus, OWN_CORPORA, requestParts, SHARED_CRS_CORPUS } from '../../../test/helpers/corpora.js'

/** libinjection's XSS check alone, as libddwaf runs it (the reference engine has no gate). */
const xss = createDdwafEngine(
  selectRules(4, CATEGORIES).filter((r) => r.operator === 'is_xss'),
  { reference: true },
)
after(() => xss.dispose())
const fires = (value: string): boolean => xss.run([{ source: 'body', location: 'body.x', value }], 5000).matches.length > 0

test('attribute injections without `<` pass the gate, and so does every string with `<`', () => {
  const injections = [
    'x" onerror="alert(1)',
    "' onfocus=alert(1) autofocus '",
    'x"onerror=x',
    'x/onclick=alert(1)',
    "' href=javascript:alert(1) '",
    'a HREF=javascript:x',
    '" attributeName=onload',
  ]
  for (const value of injections) {
    assert.equal(fires(value), true, `libinjection must flag ${value}`)
    assert.equal(mayBeMarkup(value), true, value)
  }
  for (const value of ['a < b', '<', 'x<y=1']) assert.equal(mayBeMarkup(value), true, value)
})

test('prose with `=` but no dangerous attribute name does not reach the XSS check', () => {
  const prose = [
    'See https://docs.example.com/stations/setup?lang=en for wiring diagrams.',
    'x = 1 + y; total=3',
    'a=b&c=d',
    "it's 'lang'=en",
    'only = 2', // `on…` is dangerous only as a prefix of the name: "only" is one
  ]
  for (const value of prose.slice(0, 4)) {
    assert.equal(fires(value), false, value)
    assert.equal(mayBeMarkup(value), false, value)
  }
  assert.equal(mayBeMarkup(prose[4]!), true, 'a superset: any name starting "on" passes')
})

/**
 * Random strings without `<`: attribute-like segments (syntax, a name — dangerous or not, in random
 * case — whitespace, `=`, quotes, a value) strung together, so the tokenizer meets names and values
 * in every state it can start in.
 */
function randomStrings(count: number, seed: number): string[] {
  const syntax = [...'>"\'`/ !?-&#;:=\t\n\u000b\f\r', '']
  const names = [
    'onerror', 'onload', 'onclick', 'onabort', 'onfoo', 'on', 'onx', 'style', 'href', 'src', 'action', 'formaction',
    'attributename', 'by', 'to', 'from', 'values', 'xlink:href', 'xlink', 'xmlns', 'xmlns:x', 'dataformatas', 'datasrc',
    'filter', 'handler', 'lowsrc', 'poster', 'folder', 'dynsrc', 'background',
  ]
  const plainNames = ['lang', 'title', 'id', 'data-x', 'x', 'only', 'tone', 'q', 'page', 'width', 'name', 'value']
  const values = ['javascript:alert(1)', 'data:text/html,', 'vbscript:x', 'view-source:x', 'expression(x)', 'alert(1)', '&#106;avascript:', 'onload', '1', '']
  const spaces = ['', ' ', '\t', '\n', '  ']
  const quotes = ['', '"', "'", '`']
  let state = seed
  const next = (): number => (state = (state * 1103515245 + 12345) >>> 0) / 0x1_0000_0000
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const randomCase = (text: string): string => [...text].map((c) => (next() < 0.3 ? c.toUpperCase() : c)).join('')
  const segment = (): string =>
    pick(syntax) + pick(syntax) + pick([...spaces, ...quotes, '/']) + randomCase(next() < 0.5 ? pick(names) : pick(plainNames)) + pick(spaces) + (next() < 0.8 ? '=' : '') + pick(spaces) + pick(quotes) + pick(values) + pick(quotes)
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(next() * 3) }, segment).join(''))
}

test("every string libinjection's XSS check flags passes the gate (40,000 random attribute-like strings)", () => {
  let flagged = 0
  let spared = 0
  for (const text of randomStrings(40_000, 7)) {
    if (fires(text)) {
      flagged++
      assert.equal(mayBeMarkup(text), true, JSON.stringify(text))
    } else if (text.includes('=') && !mayBeMarkup(text)) spared++
  }
  // Both sides are exercised: attribute injections, and `=` the gate rightly lets pass by.
  assert.ok(flagged > 5000 && spared > 5000, `flagged ${flagged}, spared ${spared}`)
})

test('every corpus value the XSS check flags passes the gate (own corpora, and the CRS corpus when present)', () => {
  const config = resolveInjectionGuardConfig({})
  const limits = { maxDepth: config.limits.maxDepth, maxValues: config.limits.maxValues, maxBytes: config.limits.maxBytes }
  const headers = { include: new Set(['*']), skip: new Set<string>() }
  const files: [string, string][] = OWN_CORPORA.map((f) => [f, 'own'])
  if (existsSync(SHARED_CRS_CORPUS)) files.push([SHARED_CRS_CORPUS, 'crs'])
  let flagged = 0
  for (const [file, source] of files) {
    for (const c of loadCorpus(file, source)) {
      for (const v of extractRequest(requestParts(c), limits, headers).values) {
        const value = normalizeValue(v.value)
        if (!fires(value)) continue
        flagged++
        assert.equal(mayBeMarkup(value), true, `${c.id}: ${JSON.stringify(value)}`)
      }
    }
  }
  assert.ok(flagged > 20, `the corpora exercise the XSS check (${flagged} values)`)
})
