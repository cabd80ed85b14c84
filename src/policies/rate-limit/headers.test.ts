import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseList } from 'structured-headers'
import { formatRateLimit, formatRateLimitPolicy, sfString, toSeconds } from './headers.js'
import { quotaPeriod } from './quota.js'

describe('RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10)', () => {
  it('formats the draft examples byte for byte', () => {
    const items = [
      { name: 'burst', quota: 100, windowSeconds: 60, remaining: 42, resetSeconds: 17 },
      { name: 'daily', quota: 1000, windowSeconds: 86400, remaining: 999 },
    ]
    assert.equal(formatRateLimitPolicy(items), '"burst";q=100;w=60, "daily";q=1000;w=86400')
    assert.equal(formatRateLimit(items), '"burst";r=42;t=17, "daily";r=999')
    assert.equal(formatRateLimit([{ name: 'default', quota: 100, windowSeconds: 60, remaining: 50, resetSeconds: 30 }]), '"default";r=50;t=30')
  })

  it('produces valid RFC 8941 Lists with integer parameters', () => {
    const value = formatRateLimitPolicy([{ name: 'a"b\\c', quota: 5, windowSeconds: 0.2, remaining: -3 }])
    const [item] = parseList(value)
    assert.equal(item?.[0], 'a"b\\c')
    assert.equal(item?.[1].get('q'), 5)
    assert.equal(item?.[1].get('w'), 1, 'w is a positive integer')
    assert.equal(parseList(formatRateLimit([{ name: 'x', quota: 1, windowSeconds: 1, remaining: -3, resetSeconds: 2 }]))[0]?.[1].get('r'), 0)
  })

  it('escapes sf-strings and rounds seconds up', () => {
    assert.equal(sfString('he said "hi"'), '"he said \\"hi\\""')
    assert.equal(toSeconds(0), 0)
    assert.equal(toSeconds(1), 1)
    assert.equal(toSeconds(1000), 1)
    assert.equal(toSeconds(1001), 2)
  })
})

describe('quota periods (UTC calendar)', () => {
  it('aligns days and months to UTC, including month lengths and leap years', () => {
    assert.deepEqual(quotaPeriod('day', Date.UTC(2030, 0, 15, 23, 59, 59, 999)), { startMs: Date.UTC(2030, 0, 15), endMs: Date.UTC(2030, 0, 16) })
    assert.deepEqual(quotaPeriod('month', Date.UTC(2028, 1, 29, 12)), { startMs: Date.UTC(2028, 1, 1), endMs: Date.UTC(2028, 2, 1) })
    assert.deepEqual(quotaPeriod('month', Date.UTC(2030, 11, 31, 23)), { startMs: Date.UTC(2030, 11, 1), endMs: Date.UTC(2031, 0, 1) })
  })
})
