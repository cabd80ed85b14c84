/**
 * Station routes: list (cursor pagination), create, read, replace (PUT), merge patch (PATCH),
 * delete, and the per-tenant list. Every station response carries a strong ETag, and writes
 * honour If-Match so concurrent editors cannot silently overwrite each other.
 */
import { readBody, type BodyLimits } from './body.js'
import { applyMergePatch } from './merge-patch.js'
import { buildPage, parsePageRequest } from './pagination.js'
import { DemoError, assertIfMatch, etagsOf, sendNoContent, sendRepresentation, type DemoContext } from './respond.js'
import type { RouteSpec } from './router.js'
import { StationInput, type Validator } from './schemas.js'
import { writableOf, type Station, type StationStore } from './station-store.js'

/** Dependencies of the station routes. */
export interface StationRouteDeps {
  stations: StationStore
  validate: Validator<StationInput>
  limits: BodyLimits
}

const ROOT = 'station'

function validated(validate: Validator<StationInput>, value: unknown): StationInput {
  const result = validate(value)
  if (!result.ok) {
    throw new DemoError('ERR_SCHEMA_INVALID', 'The station does not match the schema.', { extra: { errors: result.errors } })
  }
  return result.value
}

function found(ctx: DemoContext, stations: StationStore): Station {
  const station = stations.get(ctx.params.id ?? '')
  if (!station) throw new DemoError('ERR_NOT_FOUND', 'No station has this id.')
  return station
}

function location(station: Station): string {
  return `/v1/stations/${encodeURIComponent(station.id)}`
}

/** The routes under /v1/stations and /v1/tenants/{tenant}/stations. */
export function stationRoutes(deps: StationRouteDeps): RouteSpec[] {
  const { stations, validate, limits } = deps
  const jsonOrXml = { formats: ['json', 'xml'] as const, xmlRoot: ROOT, schema: StationInput }

  function list(ctx: DemoContext, tenant: string | undefined, basePath: string): void {
    const request = parsePageRequest(ctx.query)
    const { page, link } = buildPage(stations.list(request, tenant), request, (r) => r.station, basePath)
    sendRepresentation(ctx, 200, 'stations', page, { itemName: ROOT, headers: link ? { link } : {} })
  }

  return [
    {
      path: '/v1/stations',
      methods: {
        GET: (ctx) => list(ctx, undefined, '/v1/stations'),
        POST: async (ctx) => {
          const body = await readBody(ctx, jsonOrXml, limits)
          const station = stations.insert(validated(validate, body.value))
          sendRepresentation(ctx, 201, ROOT, station, { headers: { location: location(station) } })
        },
      },
    },
    {
      path: '/v1/stations/:id',
      methods: {
        GET: (ctx) => sendRepresentation(ctx, 200, ROOT, found(ctx, stations)),
        // PUT replaces a station that exists. Ids are server-assigned (POST), so a PUT to an
        // unknown id is 404 rather than an upsert: clients cannot mint ids or resurrect deletes.
        PUT: async (ctx) => {
          const body = await readBody(ctx, jsonOrXml, limits)
          const input = validated(validate, body.value)
          const current = found(ctx, stations)
          assertIfMatch(ctx.req, etagsOf(ctx.xml, ROOT, current))
          sendRepresentation(ctx, 200, ROOT, stations.replace(current.id, input))
        },
        PATCH: async (ctx) => {
          const body = await readBody(ctx, { ...jsonOrXml, formats: ['merge-patch'] }, limits)
          const current = found(ctx, stations)
          assertIfMatch(ctx.req, etagsOf(ctx.xml, ROOT, current))
          // The merged document must satisfy the full schema: removing `name` is a 422, not a hole.
          const input = validated(validate, applyMergePatch(writableOf(current), body.value))
          sendRepresentation(ctx, 200, ROOT, stations.replace(current.id, input))
        },
        DELETE: (ctx) => {
          const current = found(ctx, stations)
          assertIfMatch(ctx.req, etagsOf(ctx.xml, ROOT, current))
          stations.remove(current.id)
          sendNoContent(ctx.res)
        },
      },
    },
    {
      path: '/v1/tenants/:tenant/stations',
      methods: {
        GET: (ctx) => {
          const tenant = ctx.params.tenant ?? ''
          list(ctx, tenant, `/v1/tenants/${encodeURIComponent(tenant)}/stations`)
        },
      },
    },
  ]
}
