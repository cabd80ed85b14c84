import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeValue, decodeFully, percentDecode, decodeHtmlEntities } from './normalize.js'
import { extractRequest } from './extract.js'

test('percent-decoding: single, double, %u, malformed and plus', () => {
  assert.equal(percentDecode('a%20b+c', true), 'a b c')
  assert.equal(percentDecode('100%'), '100%')
  assert.equal(percentDecode('%zz%4'), '%zz%4')
  assert.equal(normalizeValue('%253Cscript%253E'), '<script>')
  assert.equal(normalizeValue('%u003Cscript%u003E'), '<script>')
})

test('HTML entities, NFKC and NUL removal', () => {
  assert.equal(decodeHtmlEntities('&lt;a&gt; &#60;b&#x3e; &#60c &amp;amp; &unknown;'), '<a> <b> <c &amp; &unknown;')
  assert.equal(normalizeValue('＜script＞'), '<script>')
  assert.equal(normalizeValue('a\0b'), 'ab')
  assert.equal(normalizeValue("O'Brien — café"), "O'Brien — café")
})

test('extraction locations across sources', () => {
  const { values } = extractRequest(
    {
      method: 'POST',
      path: '/v1/st%20a/x',
      rawQuery: 'q=1&q=2',
      headers: { 'user-agent': 'ua', cookie: 'sid=abc; theme=dark', 'content-type': 'application/json', authorization: 'Bearer secret' },
      body: Buffer.from('{"items":[{"name":"n"}]}'),
    },
    { maxDepth: 10, maxValues: 100, maxBytes: 10_000 },
    { include: new Set(['*']), skip: new Set(['authorization', 'cookie']) },
  )
  const locations = values.filter((v) => !v.isKey).map((v) => `${v.location}=${v.value}`)
  assert.deepEqual(locations, ['path[0]=v1', 'path[1]=st a', 'path[2]=x', 'path=/v1/st a/x', 'query.q=1', 'query.q[1]=2', 'cookie.sid=abc', 'cookie.theme=dark', 'header.user-agent=ua', 'header.content-type=application/json', 'body.items[0].name=n'])
})

test('the shortcut for values with nothing to decode agrees with every step run in full', () => {
  const tricky = [
    '', 'plain ascii prose, with punctuation: (a) [b] {c} <d> "e" \'f\' `g` ~ | \\ / ? ! @ # $ ^ * = + - _ ;',
    'UPPER lower MiXeD CaSe', 'a+b', 'back\\slash\\x3c', '\t\r\n controls \x01\x1f', 'del\x7f',
    '%3Cscript%3E', '%253Cscript%253E', '%u003C', '100%', '%zz', '%%41',
    '&lt;b&gt;', '&#60;', '&#x3C', '&amp;#60;', '&unknown;', 'a & b',
    'café', 'Ōsaka bay', 'Tromsø', '＜script＞', 'ｓｅｌｅｃｔ', 'ﬁle', 'Ⅸ', 'K\u212a\u017f', '\u{1d400}', 'a\0b', '\ud800 lone surrogate',
  ]
  for (const input of tricky) assert.equal(normalizeValue(input), decodeFully(input), JSON.stringify(input))
  // Every ASCII character, on both sides of a sample of printable ones, so none is missed.
  for (let a = 0x00; a < 0x80; a++) {
    for (let b = 0x20; b < 0x80; b += 7) {
      const input = String.fromCharCode(a, b, a)
      assert.equal(normalizeValue(input), decodeFully(input), JSON.stringify(input))
    }
  }
})
