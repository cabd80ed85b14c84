/**
 * Refuses request targets an upstream could interpret differently from the router: absolute-form
 * and asterisk-form targets, dot segments (raw or percent-encoded, which would let `/v1/../admin`
 * match a `/v1/*` route yet reach `/admin`), encoded NUL, and broken percent-encoding.
 */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i

export function isSafePath(path: string): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return false
  if (path.includes('%')) {
    if (/%00/.test(path)) return false
    try {
      decodeURIComponent(path)
    } catch {
      return false
    }
    if (DOT_SEGMENT.test(path.replace(/%2e/gi, '.')) || /%2f/i.test(path) || /%5c/i.test(path)) return false
  }
  return !DOT_SEGMENT.test(path) && !path.includes('\\')
}
