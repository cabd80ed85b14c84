/**
 * Opens the state and data stores named by `storage` in the config. The state store's circuit
 * breaker reports its state changes to the log (and metrics, through the callback).
 */
import type { Logger } from 'pino'
import type { StateStore } from './state/types.js'
import type { DataStore } from './data/types.js'
import { openStateStore } from './state/open.js'
import { openDataStore } from './data/open.js'

export interface Stores {
  state: StateStore
  data: DataStore
}

export async function openStores(storage: { state: string; data: string }, logger: Logger, onBreaker?: (state: string) => void): Promise<Stores> {
  const data = await openDataStore(storage.data, { onError: (err) => logger.error({ err }, 'data store connection error') })
  try {
    const state = await openStateStore(storage.state, {
      breaker: {
        onStateChange(breaker, error) {
          onBreaker?.(breaker)
          if (breaker === 'closed') logger.info('state store recovered')
          else logger.warn({ breaker, err: error?.message }, 'state store degraded')
        },
      },
    })
    return { state, data }
  } catch (error) {
    await data.close()
    throw error
  }
}
