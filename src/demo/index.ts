/**
 * The embedded demo API: a weather-stations CRUD service on SQLite, used as the gateway's demo
 * upstream (in-process) and runnable alone (`portcullis demo-api`). It is a plain node:http
 * request handler so the gateway can mount it without a framework.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BodyLimits } from './body.js'
import { openDemoDb } from './db.js'
import { createObservationStore, observationRoutes } from './observations.js'
import { createRouter } from './router.js'
import { createValidators } from './schemas.js'
import { seedDemoData } from './seed.js'
import { createStationStore } from './station-store.js'
import { stationRoutes } from './stations.js'
import { transferRoutes } from './transfers.js'
import { createXmlCodec } from './xml.js'

/** Options of {@link createDemoApi}. */
export interface DemoApiOptions {
  /** SQLite file, or ':memory:' (the default) for a throw-away database. */
  dbPath?: string
  /** Insert a few demo stations into an empty database (default true). */
  seed?: boolean
  /** Largest accepted request body (default 1 MiB; larger is a 413). */
  maxBodyBytes?: number
  /** Time allowed to receive a request body (default 30 s; slower is a 408). */
  bodyTimeoutMs?: number
  /** Receives unexpected errors (those answered with a 500), e.g. to log them. */
  onError?: (error: unknown) => void
}

/** A demo API instance: its request handler and a way to release the database. */
export interface DemoApi {
  handler: (req: IncomingMessage, res: ServerResponse) => void
  close(): void
}

/** Default cap on request bodies: 1 MiB. */
export const DEMO_MAX_BODY_BYTES = 1024 * 1024

/** Builds the demo API over a (new or existing) SQLite database. */
export function createDemoApi(options: DemoApiOptions = {}): DemoApi {
  const db = openDemoDb(options.dbPath ?? ':memory:')
  try {
    const stations = createStationStore(db)
    const observations = createObservationStore(db)
    const validators = createValidators()
    const limits: BodyLimits = { maxBodyBytes: options.maxBodyBytes ?? DEMO_MAX_BODY_BYTES, bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000 }
    if (options.seed !== false) seedDemoData(stations, observations)
    const handler = createRouter(
      [
        ...stationRoutes({ stations, validate: validators.station, limits }),
        ...observationRoutes({ stations, observations, validate: validators.observation, limits }),
        ...transferRoutes({ db, validate: validators.transfer, limits }),
      ],
      { xml: createXmlCodec(), ...(options.onError && { onError: options.onError }) },
    )
    return { handler, close: () => db.close() }
  } catch (error) {
    db.close()
    throw error
  }
}

/** Options of {@link startDemoApi}. */
export interface StartDemoApiOptions extends DemoApiOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number
  /** Interface to bind; 127.0.0.1 by default. */
  host?: string
}

/** A running stand-alone demo API server. */
export interface RunningDemoApi {
  url: string
  port: number
  close(): Promise<void>
}

/** Starts the demo API on its own HTTP listener. */
export async function startDemoApi(options: StartDemoApiOptions = {}): Promise<RunningDemoApi> {
  const api = createDemoApi(options)
  const server = createServer(api.handler)
  const host = options.host ?? '127.0.0.1'
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    api.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Idle keep-alive sockets would otherwise hold close() open until they time out.
      server.closeIdleConnections()
      await closed
      api.close()
    },
  }
}
