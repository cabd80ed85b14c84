/**
 * Demo data: a few real-looking stations, each with one observation, so that the tour's first
 * `GET /v1/stations` and `GET /v1/weather?station=...` have something to show.
 */
import type { ObservationStore } from './observations.js'
import type { ObservationInput, StationInput } from './schemas.js'
import type { StationStore } from './station-store.js'

const SEED: readonly { station: StationInput; observation: ObservationInput }[] = [
  {
    station: { name: 'Zugspitze Summit', latitude: 47.4211, longitude: 10.9853, elevationM: 2962, tags: ['alpine', 'synoptic'] },
    observation: { temperatureC: -6.5, humidityPct: 88, windKph: 41 },
  },
  {
    station: { name: 'Reykjavik Harbour', latitude: 64.1503, longitude: -21.9405, elevationM: 5, tags: ['coastal'] },
    observation: { temperatureC: 4.2, humidityPct: 79, windKph: 27 },
  },
  {
    station: { name: 'Cape Town Airport', latitude: -33.9715, longitude: 18.6021, elevationM: 46, tags: ['airport'], metadata: { icao: 'FACT' } },
    observation: { temperatureC: 21.8, humidityPct: 61, windKph: 18 },
  },
  {
    station: { name: 'Acme Rooftop Sensor', latitude: 52.52, longitude: 13.405, tenant: 'acme', tags: ['private'] },
    observation: { temperatureC: 12.3, humidityPct: 55, windKph: 9 },
  },
]

/** Inserts the demo stations when the database has none; returns how many were added. */
export function seedDemoData(stations: StationStore, observations: ObservationStore): number {
  if (stations.count() > 0) return 0
  for (const { station, observation } of SEED) {
    const created = stations.insert(station)
    observations.insert(created.id, observation)
  }
  return SEED.length
}
