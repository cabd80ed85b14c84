/**
 * Typical API traffic for the injection benchmarks: ~1 KiB JSON station documents in which the
 * structure, keys and enumerations repeat (as they do in any real API) while ids, numbers and
 * free text differ in every request. The free text is composed from a pool of sentences plus
 * per-request details, so no two requests carry the same description or notes: a benchmark of
 * a guard that remembers clean strings measures real work, not a replay of one request.
 */
const NAMES = ['Zugspitze summit', 'Harbour Rooftop', 'Kew Gardens', "O'Brien farm", 'Lake Constance pier', 'Tromsø airport', 'Ōsaka bay', 'São Paulo centro', 'Drop Zone 4', 'Select Valley']
const OPERATORS = ['Deutscher Wetterdienst', 'Met Office', 'Met Éireann', 'MeteoSwiss', 'community volunteers']
const COUNTRIES = ['DE', 'GB', 'IE', 'CH', 'NO', 'JP', 'BR']
const SENSORS = ['temperature', 'humidity', 'pressure', 'wind-speed', 'wind-direction', 'precipitation', 'snow-depth', 'solar-radiation']
const TAGS = ['alpine', 'reference', 'synop', 'high-altitude', 'coastal', 'urban', 'rooftop', 'rural']
const SENTENCES = [
  'Automatic station on the summit ridge, reporting every ten minutes.',
  'Drop me a line if the readings look odd after a storm.',
  'We select a calibration plan every spring and update the firmware in autumn.',
  'The heated rain gauge needs a check before the first frost.',
  'Readings from 02:00 to 04:00 UTC were delayed by a network outage; backfilled from the logger.',
  'See the setup guide at https://docs.example.com/stations/setup?lang=en for wiring diagrams.',
  'Mounted 2 m above the parapet, clear of the ventilation outlets.',
  "The owner's contact is on file; call before visiting the site.",
  'Wind speed is averaged over 10 minutes, gusts over 3 seconds.',
  'Snow depth is measured by an ultrasonic sensor; values under 2 cm are noise.',
]

/** A deterministic pseudo-random sequence, so runs are comparable. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 0x1_0000_0000
  }
}

const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)]!
const some = <T>(items: readonly T[], next: () => number, count: number): T[] => Array.from({ length: count }, () => pick(items, next))

/** Request `seq` of the stream: a JSON document of about `bytes` bytes. */
export function stationDocument(seq: number, bytes = 1024): string {
  const next = random(seq * 2654435761)
  const day = 1 + Math.floor(next() * 28)
  const doc = {
    id: `stn_${seq}`,
    name: `${pick(NAMES, next)} weather station ${seq % 997}`,
    operator: pick(OPERATORS, next),
    location: { lat: +(next() * 180 - 90).toFixed(4), lon: +(next() * 360 - 180).toFixed(4), elevationM: Math.floor(next() * 3000), country: pick(COUNTRIES, next) },
    sensors: some(SENSORS, next, 4),
    installedAt: `2024-0${1 + Math.floor(next() * 9)}-${String(day).padStart(2, '0')}T08:30:00Z`,
    maintenance: { lastVisit: `2025-03-${String(day).padStart(2, '0')}`, contact: `field-team-${seq % 50}@example.org`, notes: `${some(SENTENCES, next, 2).join(' ')} Ticket ${seq}.` },
    tags: some(TAGS, next, 3),
    description: '',
  }
  const base = JSON.stringify(doc).length
  let description = `Station ${seq}, revision ${Math.floor(next() * 1000)}.`
  while (description.length < bytes - base) description += ` ${pick(SENTENCES, next)}`
  doc.description = description.slice(0, Math.max(0, bytes - base))
  return JSON.stringify(doc)
}
