/**
 * How CLI commands reach the admin API: `--admin URL` and `--token T` (or PORTCULLIS_ADMIN_URL /
 * PORTCULLIS_ADMIN_TOKEN); in a demo-mode folder, ./.portcullis/demo.json supplies both.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'

export interface AdminOptions {
  admin?: string
  token?: string
}

/** Adds `--admin` and `--token` to a command. */
export function withAdminOptions(command: Command): Command {
  return command.option('--admin <url>', 'admin API base URL (default: PORTCULLIS_ADMIN_URL, demo.json, http://127.0.0.1:8081)').option('--token <token>', 'admin token (default: PORTCULLIS_ADMIN_TOKEN, or demo.json)')
}

function demoFile(): { admin?: string; adminToken?: string } {
  const path = join(process.env.PORTCULLIS_HOME ?? '.portcullis', 'demo.json')
  if (!existsSync(path)) return {}
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { admin?: string; adminToken?: string }
  } catch {
    return {}
  }
}

/** Calls the admin API; prints the problem and exits non-zero on failure. */
export async function adminCall(opts: AdminOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const demo = demoFile()
  const base = opts.admin ?? process.env.PORTCULLIS_ADMIN_URL ?? demo.admin ?? 'http://127.0.0.1:8081'
  const token = opts.token ?? process.env.PORTCULLIS_ADMIN_TOKEN ?? demo.adminToken
  if (!token) {
    process.stderr.write('no admin token: pass --token or set PORTCULLIS_ADMIN_TOKEN\n')
    process.exit(2)
  }
  let res: Response
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (error) {
    process.stderr.write(`cannot reach the admin API at ${base}: ${(error as Error).message}\n`)
    process.exit(2)
  }
  const text = await res.text()
  if (!res.ok) {
    process.stderr.write(`${method} ${path} → ${res.status}\n${text}\n`)
    process.exit(1)
  }
  return text ? JSON.parse(text) : undefined
}

/** Prints a result as indented JSON. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}
