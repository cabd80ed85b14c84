/**
 * Demo mode: `npm start` with no config. Starts the demo API in-process (on its own loopback
 * port, so traffic crosses a real socket like any upstream), puts the gateway in front, creates
 * demo credentials, prints them with ready-to-paste curl lines, and writes them to demo.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { startDemoApi } from './index.js'
import { demoConfig } from './demo-config.js'
import { createDemoCredentials, type DemoCredentialSet } from './demo-credentials.js'
import { validateConfigObject, formatIssues } from '../config/load.js'
import { createRegistry } from '../policies/registry.js'
import { createGateway, type Gateway } from '../gateway.js'

export interface DemoCredentials extends DemoCredentialSet {
  gateway: string
  gatewayTls: string
  admin: string
  adminToken: string
}

/** Starts demo mode and returns the gateway plus a function that stops the demo API too. */
export async function startDemoMode(env: NodeJS.ProcessEnv = process.env): Promise<{ gateway: Gateway; credentials: DemoCredentials; stop(): Promise<void> }> {
  const home = env.PORTCULLIS_HOME ?? '.portcullis'
  await mkdir(home, { recursive: true, mode: 0o700 })
  const api = await startDemoApi({ port: 0, dbPath: join(home, 'demo-api.db') })
  const ports = { http: Number(env.PORTCULLIS_PORT ?? 8080), https: Number(env.PORTCULLIS_TLS_PORT ?? 8443), admin: Number(env.PORTCULLIS_ADMIN_PORT ?? 8081) }
  const registry = createRegistry()
  const result = validateConfigObject(demoConfig(api.url, ports, home), registry)
  if (!result.ok) throw new Error(`demo config invalid (a bug):\n${formatIssues(result.errors)}`)
  const adminToken = `pcla_${randomBytes(24).toString('base64url')}`
  const gateway = await createGateway({ config: result.config, registry, home, adminTokens: [{ name: 'demo-admin', token: adminToken, roles: ['admin'] }] })
  await gateway.start()
  const credentials: DemoCredentials = { gateway: gateway.url, gatewayTls: gateway.httpsUrl, admin: gateway.adminUrl, adminToken, ...(await createDemoCredentials(gateway.adminUrl, adminToken)) }
  await writeFile(join(home, 'demo.json'), JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 })
  return {
    gateway,
    credentials,
    async stop() {
      await gateway.stop()
      await api.close()
    },
  }
}

/** The banner printed at start: URLs, credentials and curl lines to paste. */
export function demoBanner(c: DemoCredentials, home: string): string {
  const lines = [
    '',
    'Portcullis is running in demo mode (no config file given).',
    '',
    `  gateway       ${c.gateway}`,
    `  gateway (TLS) ${c.gatewayTls}   (self-signed DEVELOPMENT certificate: ${join(home, 'tls', 'dev-cert.pem')})`,
    `  admin API     ${c.admin}`,
    `  admin token   ${c.adminToken}`,
    `  API key       ${c.apiKey}   (role admin, every scope)`,
    `  user key      ${c.userKey}   (role user)`,
    `  guest key     ${c.guestKey}   (role guest: read only)`,
    `  OAuth client  ${c.oauthClient.clientId} / ${c.oauthClient.clientSecret}`,
    `  HMAC key      ${c.hmac.keyId} / ${c.hmac.secret}`,
    '',
    'Try:',
    `  curl -si ${c.gateway}/v1/stations                       # 401: a credential is required`,
    `  curl -s  ${c.gateway}/v1/stations -H 'X-API-Key: ${c.apiKey}'`,
    `  curl -s  --cacert ${join(home, 'tls', 'dev-cert.pem')} ${c.gatewayTls}/v1/stations -H 'X-API-Key: ${c.apiKey}'`,
    `  curl -si -X DELETE ${c.gateway}/v1/stations/x -H 'X-API-Key: ${c.guestKey}'   # 403 for a guest`,
    `  curl -s  ${c.gateway}/oauth/token -u '${c.oauthClient.clientId}:${c.oauthClient.clientSecret}' -d grant_type=client_credentials -d scope=stations:read`,
    `  npx portcullis sign --key-id ${c.hmac.keyId} --secret '${c.hmac.secret}' -X POST ${c.gateway}/v1/transfers -H 'Content-Type: application/json' -d '{"fromAccount":"DE89370400440532013000","toAccount":"FR1420041010050500013M02606","amount":12.5,"currency":"EUR"}' --send`,
    '',
    `These values are also in ${join(home, 'demo.json')}. Stop with Ctrl+C.`,
    '',
  ]
  return lines.join('\n')
}
