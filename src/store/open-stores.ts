/**
 * Opens the state and data stores named by `storage` in the config.
 * INTEGRATION SEAM: replaced by the real adapters as they land.
 */
import type { StateStore } from './state/types.js'
import type { DataStore } from './data/types.js'

export interface Stores {
  state: StateStore
  data: DataStore
}

export async function openStores(storage: { state: string; data: string }, _home: string): Promise<Stores> {
  return {
    state: { kind: storage.state, ping: async () => undefined, close: async () => undefined } as StateStore,
    data: { kind: storage.data, ping: async () => undefined, close: async () => undefined } as DataStore,
  }
}
