/**
 * Per-key client-application restrictions. Honest limits, also in docs/policies/api-key.md:
 * - Browser apps: `Origin` / `Referer` are set by browsers and cannot be forged by a page's
 *   script, so they stop another website from using a key lifted from your front end. They prove
 *   nothing about non-browser clients: curl can send any Origin.
 * - Mobile apps: the app-identity header is a label the app sends. It keeps honest traffic
 *   separated and raises the bar for casual reuse; it is not attestation (use mTLS or platform
 *   attestation when the app's identity must be proven).
 */

/** Matches `https://app.example.com` exactly, or `https://*.example.com` for any subdomain. */
export function originAllowed(patterns: readonly string[], origin: string | undefined, referer: string | undefined): boolean {
  const candidate = origin ?? originOf(referer)
  if (!candidate) return false
  const value = candidate.toLowerCase()
  for (const raw of patterns) {
    const pattern = raw.toLowerCase().replace(/\/+$/, '')
    if (pattern === value) return true
    const star = pattern.indexOf('://*.')
    if (star !== -1) {
      const scheme = pattern.slice(0, star + 3)
      const suffix = pattern.slice(star + 4) // ".example.com"
      if (value.startsWith(scheme) && value.endsWith(suffix) && value.length > scheme.length + suffix.length) return true
    }
  }
  return false
}

function originOf(referer: string | undefined): string | undefined {
  if (!referer) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return undefined
  }
}
