/**
 * The gateway's secret key seals recoverable secrets at rest (HMAC secrets). Taken from config
 * (`secretKey`, usually `${PORTCULLIS_SECRET_KEY}`), else the environment, else a key file under
 * the gateway home that is created on first start (mode 0600) — so a single-machine install works
 * out of the box and restarts can still open what they sealed. Back that file up with the data.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadSecretKeys, SECRET_KEY_ENV } from '../policies/hmac/secret-box.js'

export function loadOrCreateSecretKeys(configValue: string | undefined, env: NodeJS.ProcessEnv, home: string, onCreate: (path: string) => void): Buffer[] {
  if (configValue || env[SECRET_KEY_ENV]) return loadSecretKeys(configValue || undefined, env)
  const path = join(home, 'secret.key')
  if (!existsSync(path)) {
    mkdirSync(home, { recursive: true, mode: 0o700 })
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
    onCreate(path)
  }
  return loadSecretKeys(readFileSync(path, 'utf8').trim(), {})
}
