import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeValue, percentDecode, decodeHtmlEntities } from './normalize.js'
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
