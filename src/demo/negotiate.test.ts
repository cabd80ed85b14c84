import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { negotiateRepresentation, parseContentType } from './negotiate.js'

describe('negotiateRepresentation', () => {
  it('defaults to JSON and prefers XML only when ranked higher', () => {
    const cases: [string | undefined, 'json' | 'xml' | null][] = [
      [undefined, 'json'],
      ['', 'json'],
      ['application/json', 'json'],
      ['application/xml', 'xml'],
      ['APPLICATION/XML', 'xml'],
      ['application/xml, application/json', 'json'],
      ['application/xml;q=1.0, application/json;q=0.9', 'xml'],
      ['application/xml, */*;q=0.1', 'xml'],
      ['*/*', 'json'],
      ['text/*', null],
      ['text/html', null],
      ['application/json;q=0', null],
      ['application/*;q=0.5, application/json;q=0', 'xml'],
      ['application/json;q=bogus, application/xml;q=0.2', 'xml'],
      ['application/json;q=2', 'json'], // no usable range: as if Accept were absent
    ]
    for (const [accept, expected] of cases) assert.equal(negotiateRepresentation(accept), expected, String(accept))
  })

  it('bounds the work on a hostile header', () => {
    const hostile = 'text/plain;q=0.1,'.repeat(100_000) + 'application/xml'
    // Only the first ranges are read, so the trailing XML range is never seen.
    assert.equal(negotiateRepresentation(hostile), null)
  })
})

describe('parseContentType', () => {
  it('maps media types to body formats allowed for the route', () => {
    assert.deepEqual(parseContentType('application/json', ['json', 'xml']), { ok: true, format: 'json' })
    assert.deepEqual(parseContentType('Application/JSON; charset=UTF-8', ['json']), { ok: true, format: 'json' })
    assert.deepEqual(parseContentType('text/xml', ['json', 'xml']), { ok: true, format: 'xml' })
    assert.deepEqual(parseContentType('application/merge-patch+json', ['merge-patch']), { ok: true, format: 'merge-patch' })
    assert.equal(parseContentType('application/merge-patch+json', ['json', 'xml']).ok, false)
    assert.equal(parseContentType('application/json', ['merge-patch']).ok, false)
    assert.equal(parseContentType('application/json; charset=latin1', ['json']).ok, false)
    assert.equal(parseContentType(undefined, ['json']).ok, false)
    assert.equal(parseContentType('multipart/form-data; boundary=x', ['json']).ok, false)
  })
})
