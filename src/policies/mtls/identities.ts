/**
 * Certificate → consumer mapping, compiled once per route: fingerprints in a hash map, subject and
 * subjectAltName rules as small pre-parsed matchers. Matching never runs a regular expression on
 * certificate text.
 */
import type { PeerCertificate } from '../../tls/peer-certificate.js'
import type { MtlsIdentityConfig } from './schema.js'

/** What a matched certificate becomes. */
export interface MtlsIdentity {
  consumerId: string
  tenant: string | undefined
  roles: readonly string[]
  scopes: readonly string[]
  /** How it matched, for logs: `fingerprint`, `subject` or `san`. */
  matchedBy: 'fingerprint' | 'subject' | 'san'
}

/** Finds the identity of a verified certificate. */
export type IdentityResolver = (certificate: PeerCertificate) => MtlsIdentity | undefined

/** `AB:CD:…`, `sha256:abcd…` → `abcd…`. */
export function normalizeFingerprint(value: string): string {
  return value.replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase()
}

/** `"CN=device-1, O=Acme"` → `{ CN: 'device-1', O: 'Acme' }` (values cannot contain commas; use the object form). */
export function parseSubject(value: string | Record<string, string>): Record<string, string> {
  if (typeof value !== 'string') return value
  const out: Record<string, string> = {}
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error(`mtls: subject ${JSON.stringify(value)} must look like "CN=name, O=org"`)
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return out
}

/** Compiles the configured identities; throws on a rule that names more than one selector. */
export function compileIdentities(configs: readonly MtlsIdentityConfig[]): IdentityResolver {
  const byFingerprint = new Map<string, MtlsIdentity>()
  const rules: { test(c: PeerCertificate): boolean; identity: MtlsIdentity }[] = []
  configs.forEach((config, i) => {
    const selectors = [config.fingerprint, config.subject, config.san].filter((s) => s !== undefined).length
    if (selectors !== 1) throw new Error(`mtls: identities[${i}] needs exactly one of fingerprint, subject, san`)
    const base = { consumerId: config.consumerId, tenant: config.tenant, roles: config.roles, scopes: config.scopes }
    if (config.fingerprint !== undefined) {
      const fp = normalizeFingerprint(config.fingerprint)
      if (!byFingerprint.has(fp)) byFingerprint.set(fp, { ...base, matchedBy: 'fingerprint' })
    } else if (config.subject !== undefined) {
      const wanted = Object.entries(parseSubject(config.subject))
      rules.push({ identity: { ...base, matchedBy: 'subject' }, test: (c) => wanted.every(([name, value]) => c.subject[name]?.includes(value) === true) })
    } else {
      const colon = config.san!.indexOf(':')
      const type = canonicalSanType(config.san!.slice(0, colon).trim())
      const value = config.san!.slice(colon + 1).trim()
      // DNS names and e-mail domains are case-insensitive; URIs and IPs are compared as written.
      const caseless = type === 'DNS' || type === 'email'
      const wanted = caseless ? value.toLowerCase() : value
      rules.push({
        identity: { ...base, matchedBy: 'san' },
        test: (c) => c.subjectAltNames.some((e) => e.type === type && (caseless ? e.value.toLowerCase() : e.value) === wanted),
      })
    }
  })
  return (certificate) => {
    // A pinned fingerprint is the most specific rule: it wins over subject and SAN rules.
    const pinned = byFingerprint.get(certificate.fingerprint256)
    if (pinned) return pinned
    for (const rule of rules) if (rule.test(certificate)) return rule.identity
    return undefined
  }
}

/** Config may say `IP:` or `ip:`; Node prints `IP Address:`. */
function canonicalSanType(type: string): string {
  const upper = type.toUpperCase()
  if (upper === 'IP' || upper === 'IP ADDRESS') return 'IP Address'
  if (upper === 'DNS' || upper === 'URI') return upper
  if (upper === 'EMAIL') return 'email'
  return type
}
