/**
 * Excerpts for security events: enough of the payload to triage, never a secret. Values from
 * credential-like locations are withheld entirely; elsewhere long digit runs (card and phone
 * numbers) and e-mail local parts are masked, and the result is capped at 64 characters.
 */

/** Maximum excerpt length in events. */
export const MAX_EXCERPT_CHARS = 64
/** Linear: one alternation of literals inside a bounded location string. */
const SENSITIVE_LOCATION = /pass|secret|token|auth|session|sid\b|api[-_]?key|credential|cookie\.[^.]*(?:id|key)\b/i
/** Linear: a character class under a single quantifier. */
const DIGIT_RUN = /\d{4,}/g
/** Linear: bounded classes, no nested quantifiers. */
const EMAIL_LOCAL = /[\w.+-]{1,64}@(?=[\w-]{1,63}\.)/g
/** Control characters are escaped so an excerpt cannot forge log lines. */
const CONTROL = /[\u0000-\u001f\u007f]/g

/** A redacted excerpt of `value` around `highlight` (what matched), at most 64 characters. */
export function redactExcerpt(location: string, value: string, highlight: string | undefined): string {
  if (SENSITIVE_LOCATION.test(location)) return '[redacted]'
  let excerpt = value
  if (highlight) {
    const at = value.indexOf(highlight)
    if (at > 16) excerpt = '…' + value.slice(at - 8)
    else if (at < 0) excerpt = highlight
  }
  excerpt = excerpt.slice(0, MAX_EXCERPT_CHARS * 2)
  excerpt = excerpt.replace(DIGIT_RUN, (d) => '*'.repeat(d.length)).replace(EMAIL_LOCAL, '***@')
  excerpt = excerpt.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return excerpt.length > MAX_EXCERPT_CHARS ? excerpt.slice(0, MAX_EXCERPT_CHARS - 1) + '…' : excerpt
}
