/**
 * Observations of a station and the current conditions derived from them
 * (`GET /v1/weather?station={id}` = the observation with the latest `observedAt`).
 */
import { randomBytes } from 'node:crypto'
import { readBody, type BodyLimits } from './body.js'
import type { DemoDb } from './db.js'
import { buildPage, parsePageRequest } from './pagination.js'
import { DemoError, sendRepresentation } from './respond.js'
import type { RouteSpec } from './router.js'
import { ObservationInput, type Validator } from './schemas.js'
import type { StationStore } from './station-store.js'

/** An observation as clients see it. */
export interface Observation {
  id: string
  stationId: string
  temperatureC: number
  humidityPct?: number
  windKph?: number
  observedAt: string
  createdAt: string
}

/** Observation persistence. */
export interface ObservationStore {
  insert(stationId: string, input: ObservationInput): Observation
  get(stationId: string, id: string): Observation | undefined
  list(stationId: string, after: number, limit: number): { seq: number; observation: Observation }[]
  latest(stationId: string): Observation | undefined
}

interface Row {
  seq: number
  doc: string
}

/** Creates the observation store over an open demo database. */
export function createObservationStore(db: DemoDb): ObservationStore {
  const insertStmt = db.prepare('INSERT INTO demo_observations (id, station_id, observed_at, doc, created_at) VALUES (?, ?, ?, ?, ?)')
  const getStmt = db.prepare('SELECT seq, doc FROM demo_observations WHERE station_id = ? AND id = ?')
  const listStmt = db.prepare('SELECT seq, doc FROM demo_observations WHERE station_id = ? AND seq > ? ORDER BY seq LIMIT ?')
  // ISO 8601 UTC strings of one fixed width sort chronologically as text.
  const latestStmt = db.prepare('SELECT seq, doc FROM demo_observations WHERE station_id = ? ORDER BY observed_at DESC, seq DESC LIMIT 1')
  const parse = (row: Row): Observation => JSON.parse(row.doc) as Observation
  return {
    insert(stationId, input) {
      const now = new Date().toISOString()
      const observation: Observation = {
        id: 'obs_' + randomBytes(8).toString('hex'),
        stationId,
        temperatureC: input.temperatureC,
        ...(input.humidityPct !== undefined && { humidityPct: input.humidityPct }),
        ...(input.windKph !== undefined && { windKph: input.windKph }),
        observedAt: input.observedAt === undefined ? now : new Date(input.observedAt).toISOString(),
        createdAt: now,
      }
      insertStmt.run(observation.id, stationId, observation.observedAt, JSON.stringify(observation), now)
      return observation
    },
    get(stationId, id) {
      const row = getStmt.get(stationId, id) as Row | undefined
      return row ? parse(row) : undefined
    },
    list(stationId, after, limit) {
      return (listStmt.all(stationId, after, limit) as Row[]).map((row) => ({ seq: row.seq, observation: parse(row) }))
    },
    latest(stationId) {
      const row = latestStmt.get(stationId) as Row | undefined
      return row ? parse(row) : undefined
    },
  }
}

/** Dependencies of the observation routes. */
export interface ObservationRouteDeps {
  stations: StationStore
  observations: ObservationStore
  validate: Validator<ObservationInput>
  limits: BodyLimits
}

/** The observation routes and `/v1/weather`. */
export function observationRoutes(deps: ObservationRouteDeps): RouteSpec[] {
  const { stations, observations, validate, limits } = deps

  function stationOf(id: string | undefined): { id: string; name: string } {
    const station = id === undefined ? undefined : stations.get(id)
    if (!station) throw new DemoError('ERR_NOT_FOUND', 'No station has this id.')
    return station
  }

  return [
    {
      path: '/v1/stations/:id/observations',
      methods: {
        GET: (ctx) => {
          const station = stationOf(ctx.params.id)
          const request = parsePageRequest(ctx.query)
          const rows = observations.list(station.id, request.after, request.limit + 1)
          const basePath = `/v1/stations/${encodeURIComponent(station.id)}/observations`
          const { page, link } = buildPage(rows, request, (r) => r.observation, basePath)
          sendRepresentation(ctx, 200, 'observations', page, { itemName: 'observation', headers: link ? { link } : {} })
        },
        POST: async (ctx) => {
          const body = await readBody(ctx, { formats: ['json', 'xml'], xmlRoot: 'observation', schema: ObservationInput }, limits)
          const result = validate(body.value)
          if (!result.ok) {
            throw new DemoError('ERR_SCHEMA_INVALID', 'The observation does not match the schema.', { extra: { errors: result.errors } })
          }
          // RFC 3339 admits leap seconds (":60") that Date cannot represent; refuse, do not guess.
          if (result.value.observedAt !== undefined && Number.isNaN(Date.parse(result.value.observedAt))) {
            const errors = [{ pointer: '/observedAt', message: 'must be a representable date-time' }]
            throw new DemoError('ERR_SCHEMA_INVALID', 'The observation does not match the schema.', { extra: { errors } })
          }
          const station = stationOf(ctx.params.id)
          const observation = observations.insert(station.id, result.value)
          const location = `/v1/stations/${encodeURIComponent(station.id)}/observations/${observation.id}`
          sendRepresentation(ctx, 201, 'observation', observation, { headers: { location } })
        },
      },
    },
    {
      path: '/v1/stations/:id/observations/:observationId',
      methods: {
        GET: (ctx) => {
          const station = stationOf(ctx.params.id)
          const observation = observations.get(station.id, ctx.params.observationId ?? '')
          if (!observation) throw new DemoError('ERR_NOT_FOUND', 'No observation has this id.')
          sendRepresentation(ctx, 200, 'observation', observation)
        },
      },
    },
    {
      path: '/v1/weather',
      methods: {
        GET: (ctx) => {
          const id = ctx.query.get('station')
          if (id === null || id === '') throw new DemoError('ERR_REQUEST_MALFORMED', 'The station query parameter is required.')
          const station = stationOf(id)
          const latest = observations.latest(station.id)
          if (!latest) throw new DemoError('ERR_NOT_FOUND', 'This station has not reported any observation yet.')
          const { id: _id, createdAt: _createdAt, ...conditions } = latest
          sendRepresentation(ctx, 200, 'weather', { ...conditions, stationName: station.name })
        },
      },
    },
  ]
}
