/**
 * Test support: a throwaway certificate authority built with the `openssl` command-line tool in a
 * temporary directory — server and client certificates (optionally already expired), revocation
 * and CRLs. Tests generate every certificate they use; nothing is checked in.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { X509Certificate } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** An issued certificate: PEM files on disk plus what tests compare against. */
export interface IssuedCertificate {
  cert: string
  key: string
  /** SHA-256 fingerprint, lower-case hex without colons. */
  fingerprint256: string
  certPem: string
  keyPem: string
}

/** What to put in a certificate. */
export interface IssueOptions {
  commonName: string
  /** OpenSSL subjectAltName syntax, e.g. `DNS:localhost,IP:127.0.0.1`. */
  subjectAltName?: string
  /** Server certificates get EKU serverAuth, client certificates clientAuth. */
  usage: 'server' | 'client'
  /** `YYYYMMDDHHMMSSZ`; with `endDate`, for certificates that are already expired or not yet valid. */
  startDate?: string
  endDate?: string
  days?: number
}

/** A certificate authority in a temporary directory. */
export interface TestPki {
  dir: string
  /** The CA certificate (PEM file): what a relying party trusts. */
  caCert: string
  issue(name: string, options: IssueOptions): Promise<IssuedCertificate>
  revoke(certificate: IssuedCertificate): Promise<void>
  /** Writes a fresh CRL (valid one year) and returns its path. */
  crl(): Promise<string>
  /** Removes the directory. */
  cleanup(): Promise<void>
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** Creates a CA named `name` (its own temporary directory unless `parent` is given). */
export async function createTestPki(name: string, parent?: string): Promise<TestPki> {
  const dir = parent ? join(parent, name) : await mkdtemp(join(tmpdir(), `portcullis-pki-${name}-`))
  await mkdir(join(dir, 'newcerts'), { recursive: true })
  await writeFile(join(dir, 'index.txt'), '')
  await writeFile(join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`)
  await writeFile(join(dir, 'crlnumber'), '1000\n')
  const config = join(dir, 'ca.cnf')
  await writeFile(config, caConfig(dir))
  const caCert = join(dir, 'ca-cert.pem')
  const caKey = join(dir, 'ca-key.pem')
  await run('openssl', [
    'req', '-x509', ...EC, '-keyout', caKey, '-out', caCert, '-days', '3650', '-sha256', '-subj', `/O=Portcullis tests/CN=${name} test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ])
  return {
    dir,
    caCert,
    async issue(file, options) {
      const cert = join(dir, `${file}-cert.pem`)
      const key = join(dir, `${file}-key.pem`)
      const csr = join(dir, `${file}.csr`)
      const ext = ['-addext', `extendedKeyUsage=${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}`]
      if (options.subjectAltName) ext.push('-addext', `subjectAltName=${options.subjectAltName}`)
      await run('openssl', ['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/O=Portcullis tests/CN=${options.commonName}`, ...ext])
      const validity = options.startDate && options.endDate ? ['-startdate', options.startDate, '-enddate', options.endDate] : ['-days', String(options.days ?? 30)]
      await run('openssl', ['ca', '-batch', '-config', config, '-extensions', 'leaf', '-notext', '-in', csr, '-out', cert, ...validity])
      const certPem = await readFile(cert, 'utf8')
      const keyPem = await readFile(key, 'utf8')
      const fingerprint256 = new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase()
      return { cert, key, certPem, keyPem, fingerprint256 }
    },
    async revoke(certificate) {
      await run('openssl', ['ca', '-config', config, '-revoke', certificate.cert])
    },
    async crl() {
      const path = join(dir, 'crl.pem')
      await run('openssl', ['ca', '-config', config, '-gencrl', '-crldays', '365', '-out', path])
      return path
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

function caConfig(dir: string): string {
  return `[ ca ]
default_ca = ca_default

[ ca_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca-cert.pem
private_key = $dir/ca-key.pem
default_md = sha256
default_days = 30
default_crl_days = 365
policy = policy_any
copy_extensions = copy
unique_subject = no
email_in_dn = no

[ policy_any ]
organizationName = optional
commonName = supplied

[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`
}
