/**
 * `portcullis sign`: builds an RFC 9421 signature (with an RFC 9530 Content-Digest when there is a
 * body) for a request, then prints the headers — or, with `--send`, sends it like curl and prints
 * the response.
 */
import type { Command } from 'commander'
import { signRequestHeaders } from '../signing/sign.js'

export function registerSign(program: Command): void {
  program
    .command('sign <url>')
    .description('sign a request with an HMAC credential (RFC 9421); print the headers or --send it')
    .requiredOption('--key-id <keyId>', 'credential key id (keyid)')
    .option('--secret <secret>', 'the secret as issued (default: PORTCULLIS_HMAC_SECRET)')
    .option('-X, --request <method>', 'HTTP method', 'GET')
    .option('-H, --header <header...>', 'extra header "Name: value" (repeatable)')
    .option('-d, --data <body>', 'request body')
    .option('--send', 'send the signed request and print the response')
    .action(async (url: string, opts: { keyId: string; secret?: string; request: string; header?: string[]; data?: string; send?: boolean }) => {
      const secret = opts.secret ?? process.env.PORTCULLIS_HMAC_SECRET
      if (!secret) {
        process.stderr.write('give --secret or set PORTCULLIS_HMAC_SECRET\n')
        process.exit(2)
      }
      const headers: Record<string, string> = {}
      for (const line of opts.header ?? []) {
        const i = line.indexOf(':')
        if (i <= 0) {
          process.stderr.write(`bad header ${JSON.stringify(line)} (expected "Name: value")\n`)
          process.exit(2)
        }
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
      }
      const method = opts.request.toUpperCase()
      if (opts.data !== undefined && !headers['content-type']) headers['content-type'] = 'application/json'
      const body = opts.data === undefined ? undefined : Buffer.from(opts.data, 'utf8')
      const signature = signRequestHeaders({ method, url, headers, body, keyId: opts.keyId, secret })
      const all = { ...headers, ...signature }
      if (!opts.send) {
        for (const [name, value] of Object.entries(all)) process.stdout.write(`${name}: ${value}\n`)
        return
      }
      const res = await fetch(url, { method, headers: all, body })
      process.stdout.write(`HTTP ${res.status}\n`)
      res.headers.forEach((value, name) => process.stdout.write(`${name}: ${value}\n`))
      process.stdout.write(`\n${await res.text()}\n`)
      if (!res.ok) process.exitCode = 1
    })
}
