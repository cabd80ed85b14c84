import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createCleanMemo } from './clean-memo.js'
import { createInjectionGuard } from './injection-guard.js'
import { resolveInjectionGuardConfig } from './schema.js'
import type { InspectedValue, RequestParts } from './extract.js'
import type { RuleDefinition } from './rule-types.js'
import { loadCorpora, OWN_CORPORA, requestParts } from '../../../test/helpers/corpora.js'

const value = (source: InspectedValue['source'], text: string, isKey = false): InspectedValue => ({ source, location: `${source}.x`, value: text, ...(isKey ? { isKey } : {}) })

test('remembers a clean string only at the address it was seen at', () => {
  const memo = createCleanMemo(100)
  memo.remember([value('query', 'coastal')])
  assert.equal(memo.has(value('query', 'coastal')), true)
  assert.equal(memo.has(value('body', 'coastal')), false)
  assert.equal(memo.has(value('query', 'coastal', true)), false, 'keys are their own address')
  assert.equal(memo.has(value('query', 'urban')), false)
})

test('never remembers long strings or file names; capacity 0 turns it off', () => {
  const memo = createCleanMemo(100)
  const long = value('body', 'x'.repeat(129))
  const filename: InspectedValue = { source: 'body', location: 'body.upload.filename', value: 'report.pdf', filename: true }
  memo.remember([long, filename])
  assert.equal(memo.has(long), false)
  assert.equal(memo.has(filename), false)
  const off = createCleanMemo(0)
  off.remember([value('query', 'a')])
  assert.equal(off.has(value('query', 'a')), false)
})

test('holds at most two generations: old strings are forgotten unless used', () => {
  const memo = createCleanMemo(3)
  memo.remember(['a', 'b', 'c'].map((t) => value('query', t)))
  memo.remember(['d', 'e', 'f'].map((t) => value('query', t))) // a, b, c are now the old generation
  assert.equal(memo.has(value('query', 'a')), true) // a hit copies 'a' into the young generation
  memo.remember(['g', 'h', 'i'].map((t) => value('query', t)))
  assert.equal(memo.has(value('query', 'a')), true, 'recently used survives')
  assert.equal(memo.has(value('query', 'b')), false, 'unused old strings are dropped')
})

/** Both corpora as requests, each twice, interleaved so the memo is warm with every clean string. */
function corpusRequests(): { id: string; parts: RequestParts }[] {
  const out = loadCorpora(OWN_CORPORA).map((c) => ({ id: c.id, parts: requestParts(c) }))
  // Interleave benign and attack cases, then replay: attacks reuse keys and headers remembered from benign ones.
  const mixed = out.map((r, i) => ({ r, k: (i * 7919) % out.length })).sort((a, b) => a.k - b.k).map((x) => x.r)
  return [...mixed, ...mixed]
}

const config = resolveInjectionGuardConfig({ paranoia: 2, limits: { timeoutMs: 5000 } })
const withMemo = createInjectionGuard(config)
const withoutMemo = createInjectionGuard(config, undefined, { memoEntries: 0 })
after(() => {
  withMemo.close()
  withoutMemo.close()
})

test('the memo never changes a verdict: both corpora, twice, with and without it', () => {
  let blocked = 0
  const differences: string[] = []
  for (const { id, parts } of corpusRequests()) {
    const a = withMemo.inspect(parts)
    const b = withoutMemo.inspect(parts)
    if (a.block) blocked++
    const ids = (v: typeof a) => v.detections.map((d) => `${d.id}@${d.location}`).sort().join(' ')
    if (a.block !== b.block || a.score !== b.score || ids(a) !== ids(b)) differences.push(`${id}: ${ids(a)} | ${ids(b)}`)
  }
  assert.deepEqual(differences, [])
  assert.ok(blocked > 500, `attacks were blocked (${blocked})`)
})

test('a remembered clean key does not hide an attack in its value', () => {
  const request = (comment: string): RequestParts => ({ method: 'POST', path: '/v1/notes', rawQuery: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ comment })) })
  for (let i = 0; i < 50; i++) assert.equal(withMemo.inspect(request(`note ${i}`)).block, false)
  const attack = withMemo.inspect(request("1' UNION SELECT password FROM users --"))
  assert.equal(attack.block, true)
  assert.equal(attack.detections[0]?.location, 'body.comment')
  assert.equal(withMemo.inspect(request("1' UNION SELECT password FROM users --")).block, true, 'a matching string is never remembered')
})

test('a string remembered as a plain value is still inspected as a file name', () => {
  // A file-name rule whose screen stays in libddwaf (its decoder has no gate), so reads file names only:
  // elsewhere the string wakes nothing and is remembered.
  const rule: RuleDefinition = { id: 'pc-cmdi-990', name: 'test upload name', pl: 1, severity: 'critical', operator: 'match_regex', regex: '^payload\\.bin$', targets: ['filenames'], transformers: ['url_decode'] }
  const guard = createInjectionGuard(resolveInjectionGuardConfig({ limits: { timeoutMs: 5000 } }), [{ category: 'cmdi', rules: [rule] }])
  try {
    const name = 'payload.bin'
    const json = (body: unknown): RequestParts => ({ method: 'POST', path: '/v1/files', rawQuery: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) })
    for (let i = 0; i < 3; i++) {
      assert.equal(guard.inspect(json({ title: name, tags: [name] })).detections.length, 0)
      assert.equal(guard.inspect({ method: 'GET', path: '/v1/files', rawQuery: `title=${name}`, headers: { 'x-title': name, cookie: `title=${name}` } }).detections.length, 0)
    }
    const asFileName: RequestParts[] = [
      json({ filename: name }),
      json({ upload: { filename: name } }),
      { method: 'GET', path: '/v1/files', rawQuery: `filename=${name}`, headers: {} },
      { method: 'PUT', path: '/v1/files', rawQuery: '', headers: { 'x-filename': name } },
      { method: 'GET', path: '/v1/files', rawQuery: '', headers: { cookie: `filename=${name}` } },
    ]
    for (const parts of asFileName) assert.deepEqual(guard.inspect(parts).detections.map((d) => d.id), [rule.id], JSON.stringify(parts))
  } finally {
    guard.close()
  }
})

test('remembered strings count against the limits exactly as fresh ones do', () => {
  const tight = resolveInjectionGuardConfig({ paranoia: 2, limits: { timeoutMs: 5000, maxValues: 60, maxBytes: 1024 } })
  const memoOn = createInjectionGuard(tight)
  const memoOff = createInjectionGuard(tight, undefined, { memoEntries: 0 })
  try {
    // Items carry a remembered 114-character summary when `long`.
    const request = (n: number, long = false): RequestParts => ({
      method: 'POST',
      path: '/v1/stations/a/b',
      rawQuery: 'q=coastal&page=2&q=urban',
      headers: { 'content-type': 'application/json', 'user-agent': 'probe/1.0', cookie: 'theme=dark; lang=en' },
      body: Buffer.from(JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ kind: 'reading', unit: 'celsius', note: long ? 'clean summary text '.repeat(6) : `n${i % 3}` })) })),
    })
    for (let round = 0; round < 3; round++) {
      for (const long of [false, true]) {
        for (const n of [1, 4, 7, 9, 12, 40]) {
          const a = memoOn.inspect(request(n, long))
          const b = memoOff.inspect(request(n, long))
          assert.deepEqual([a.limitHit, a.inspectedValues, a.block], [b.limitHit, b.inspectedValues, b.block], `round ${round}, ${n} items`)
        }
      }
    }
    // Each outcome is exercised, with the memo warm: nothing here wakes a screen, so every string is
    // remembered (the comparison above fails when remembered strings go uncounted).
    assert.ok(memoOn.inspect(request(4)).detections.length === 0)
    assert.equal(memoOn.inspect(request(4)).limitHit, undefined)
    assert.equal(memoOn.inspect(request(12)).limitHit, 'values')
    assert.equal(memoOn.inspect(request(9, true)).limitHit, 'bytes')
  } finally {
    memoOn.close()
    memoOff.close()
  }
})
