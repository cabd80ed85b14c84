/**
 * `portcullis keys create|list|revoke|rotate` and `portcullis clients create`: the admin API from
 * the shell. Secrets are printed once, on creation, exactly as the API returns them.
 */
import type { Command } from 'commander'
import { adminCall, printJson, withAdminOptions, type AdminOptions } from './admin-client.js'

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean)

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys')
  withAdminOptions(
    keys
      .command('create')
      .description('create an API key (and its consumer when --name is given instead of --consumer)')
      .option('--consumer <id>', 'existing consumer id')
      .option('--name <name>', 'create a new consumer with this name')
      .option('--tenant <tenant>', 'tenant of the new consumer')
      .option('--roles <roles>', 'comma-separated roles of the new consumer', list)
      .option('--scopes <scopes>', 'comma-separated scopes', list)
      .option('--allow-cidrs <cidrs>', 'comma-separated CIDRs the key may be used from', list)
      .option('--expires-at <iso>', 'expiry (ISO 8601)'),
  ).action(async (opts: AdminOptions & { consumer?: string; name?: string; tenant?: string; roles?: string[]; scopes?: string[]; allowCidrs?: string[]; expiresAt?: string }) => {
    let consumerId = opts.consumer
    if (!consumerId) {
      if (!opts.name) {
        process.stderr.write('give --consumer <id> or --name <name>\n')
        process.exit(2)
      }
      const consumer = (await adminCall(opts, 'POST', '/admin/consumers', { name: opts.name, tenant: opts.tenant, roles: opts.roles })) as { id: string }
      consumerId = consumer.id
    }
    printJson(await adminCall(opts, 'POST', `/admin/consumers/${consumerId}/keys`, { scopes: opts.scopes, allowCidrs: opts.allowCidrs, expiresAt: opts.expiresAt }))
  })
  withAdminOptions(keys.command('list').description('list API keys').option('--consumer <id>', 'only this consumer\'s keys')).action(async (opts: AdminOptions & { consumer?: string }) => {
    printJson(await adminCall(opts, 'GET', opts.consumer ? `/admin/consumers/${opts.consumer}/keys` : '/admin/keys'))
  })
  withAdminOptions(keys.command('revoke <id>').description('revoke a key at once')).action(async (id: string, opts: AdminOptions) => {
    await adminCall(opts, 'DELETE', `/admin/keys/${id}`)
    process.stdout.write(`revoked ${id}\n`)
  })
  withAdminOptions(keys.command('rotate <id>').description('issue a replacement; the old key works until the grace period ends').option('--grace-ms <ms>', 'grace period in ms', '86400000')).action(
    async (id: string, opts: AdminOptions & { graceMs: string }) => {
      printJson(await adminCall(opts, 'POST', `/admin/keys/${id}/rotate`, { graceMs: Number(opts.graceMs) }))
    },
  )

  const clients = program.command('clients').description('manage OAuth clients')
  withAdminOptions(
    clients
      .command('create')
      .description('register an OAuth client (client_credentials by default)')
      .requiredOption('--name <name>', 'client name')
      .option('--scopes <scopes>', 'comma-separated scopes the client may request', list, [])
      .option('--grants <grants>', 'comma-separated grants', list)
      .option('--redirect-uris <uris>', 'comma-separated redirect URIs', list)
      .option('--consumer <id>', 'consumer the client acts as'),
  ).action(async (opts: AdminOptions & { name: string; scopes: string[]; grants?: string[]; redirectUris?: string[]; consumer?: string }) => {
    printJson(await adminCall(opts, 'POST', '/admin/clients', { name: opts.name, scopes: opts.scopes, grants: opts.grants, redirectUris: opts.redirectUris, consumerId: opts.consumer }))
  })
  withAdminOptions(clients.command('list').description('list OAuth clients')).action(async (opts: AdminOptions) => printJson(await adminCall(opts, 'GET', '/admin/clients')))
}
