/**
 * Reads certificates, keys, chains, client CA bundles and CRLs from PEM files and compiles them
 * into secure contexts: one default, one per SNI name. Everything is built before anything is
 * swapped, so a half-written or mismatched file is refused as a whole and the previous material
 * keeps serving.
 */
import { readFile } from 'node:fs/promises'
import { createHash, X509Certificate } from 'node:crypto'
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import type { CertificateConfig } from '../config/config.js'
import { tlsProfile } from './tls-profile.js'

/** What one served certificate looks like (for logs and the reload event). */
export interface CertificateSummary {
  serverNames: string[]
  subject: string
  /** SHA-256 of the DER certificate, lower-case hex. */
  fingerprint256: string
  validTo: string
  validToMs: number
}

/** Compiled TLS material of one generation. */
export interface TlsMaterial {
  /** For `server.setSecureContext`: the default certificate plus the shared profile. */
  defaultOptions: SecureContextOptions
  /** Lower-case SNI name (or `*.suffix`) → context. */
  byName: ReadonlyMap<string, SecureContext>
  /** Every file this material was read from (the watcher follows their directories). */
  files: readonly string[]
  /** Digest over every byte read: a reload whose digest is unchanged swaps nothing. */
  digest: string
  certificates: readonly CertificateSummary[]
}

/** Inputs of one load. */
export interface TlsMaterialSource {
  minVersion: 'TLSv1.2' | 'TLSv1.3'
  certificates: readonly CertificateConfig[]
  clientAuth?: { ca: readonly string[]; crl: readonly string[] } | undefined
}

/** Reads and compiles everything; throws (naming the file) when anything is unreadable or inconsistent. */
export async function loadTlsMaterial(source: TlsMaterialSource): Promise<TlsMaterial> {
  if (source.certificates.length === 0) throw new Error('listen.https has no certificate')
  const files: string[] = []
  const hash = createHash('sha256')
  const read = async (path: string): Promise<string> => {
    const text = await readFile(path, 'utf8').catch((error: Error) => {
      throw new Error(`cannot read ${path}: ${error.message}`)
    })
    files.push(path)
    hash.update(path).update('\0').update(text).update('\0')
    return text
  }
  const profile = tlsProfile(source.minVersion)
  const ca = source.clientAuth ? await Promise.all(source.clientAuth.ca.map(read)) : undefined
  const crl = source.clientAuth ? await Promise.all(source.clientAuth.crl.map(read)) : undefined
  const shared: SecureContextOptions = { ...profile, ...(ca && { ca }), ...(crl && crl.length > 0 && { crl }) }

  const byName = new Map<string, SecureContext>()
  const certificates: CertificateSummary[] = []
  let defaultOptions: SecureContextOptions | undefined
  for (const entry of source.certificates) {
    const leafPem = await read(entry.cert)
    const chainPem = entry.chain ? await read(entry.chain) : ''
    const key = await read(entry.key)
    const cert = chainPem ? `${leafPem.trimEnd()}\n${chainPem}` : leafPem
    const options: SecureContextOptions = { ...shared, cert, key, ...(entry.passphrase !== undefined && { passphrase: entry.passphrase }) }
    let context: SecureContext
    let leaf: X509Certificate
    try {
      // Fails on a key that does not match the certificate, a wrong passphrase, or bad PEM.
      context = createSecureContext(options)
      leaf = new X509Certificate(leafPem)
    } catch (error) {
      throw new Error(`certificate ${entry.cert} / key ${entry.key}: ${(error as Error).message}`)
    }
    const serverNames = (entry.serverNames ?? dnsNamesOf(leaf)).map((n) => n.toLowerCase())
    for (const name of serverNames) if (!byName.has(name)) byName.set(name, context)
    defaultOptions ??= options
    certificates.push({
      serverNames,
      subject: leaf.subject.replace(/\n/g, ', '),
      fingerprint256: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
      validTo: leaf.validTo,
      validToMs: Date.parse(leaf.validTo),
    })
  }
  return { defaultOptions: defaultOptions!, byName, files, digest: hash.digest('hex'), certificates }
}

/**
 * The context for an SNI name: exact match first, then a one-label wildcard (`*.example.com`
 * covers `a.example.com`, not `a.b.example.com`, as in RFC 6125). Undefined → the default.
 */
export function contextForServerName(byName: ReadonlyMap<string, SecureContext>, servername: string): SecureContext | undefined {
  const name = servername.toLowerCase()
  const exact = byName.get(name)
  if (exact) return exact
  const dot = name.indexOf('.')
  return dot > 0 ? byName.get(`*${name.slice(dot)}`) : undefined
}

/** DNS subjectAltNames of a certificate (the names it is valid for). */
export function dnsNamesOf(certificate: X509Certificate): string[] {
  return parseSubjectAltNames(certificate.subjectAltName ?? '')
    .filter((e) => e.type === 'DNS')
    .map((e) => e.value)
}

/**
 * Parses Node's subjectAltName text (`DNS:a, IP Address:1.2.3.4, URI:"x, y"`). Values holding a
 * separator are JSON-quoted by Node, so they are read as JSON strings; a single left-to-right scan,
 * linear in the input.
 */
export function parseSubjectAltNames(text: string): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = []
  let i = 0
  while (i < text.length) {
    const colon = text.indexOf(':', i)
    if (colon === -1) break
    const type = text.slice(i, colon).trim()
    let value: string
    let next: number
    if (text[colon + 1] === '"') {
      let j = colon + 2
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string
      } catch {
        value = text.slice(colon + 2, j)
      }
      next = text.indexOf(',', j + 1)
    } else {
      next = text.indexOf(', ', colon + 1)
      value = text.slice(colon + 1, next === -1 ? text.length : next)
    }
    out.push({ type, value })
    if (next === -1) break
    i = next + 1
    while (text[i] === ' ') i++
  }
  return out
}
