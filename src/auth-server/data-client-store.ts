/**
 * The authorization server's client registry, backed by the durable data store. A revoked client
 * is simply not found; a client bound to a consumer inherits its tenant and roles.
 */
import type { DataStore } from '../store/data/types.js'
import type { ClientRecord, ClientStore, GrantType } from './stores.js'

const GRANTS = new Set<GrantType>(['client_credentials', 'authorization_code', 'refresh_token'])

export function createDataClientStore(data: DataStore): ClientStore {
  return {
    async findClient(clientId) {
      const row = await data.getClient(clientId)
      if (!row || (row.revokedAt !== undefined && row.revokedAt <= Date.now())) return null
      const consumer = row.consumerId ? await data.getConsumer(row.consumerId) : null
      const client: ClientRecord = {
        clientId: row.clientId,
        secretHash: row.secretHash,
        scopes: row.scopes,
        grants: row.grants.filter((g): g is GrantType => GRANTS.has(g as GrantType)),
        redirectUris: row.redirectUris,
        consumerId: row.consumerId,
        tenant: consumer?.tenant,
        roles: consumer?.roles,
      }
      return client
    },
  }
}
