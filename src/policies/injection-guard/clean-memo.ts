/**
 * Remembers strings the engine found clean, so traffic that repeats them pays for a map lookup
 * instead of normalisation and two native passes. Real API traffic repeats most of its strings —
 * JSON keys, header values, enumerations, ids — while free text is new each time; only the new
 * strings then reach the engine.
 *
 * Sound because the verdict on one string at one address is a pure function of the string and
 * the compiled rule set: every rule has one condition on one address, and normalisation is
 * deterministic. A memo belongs to one guard (one rule selection) and dies with it, so a
 * configuration reload starts empty. Only strings from a pass where nothing fired — no rule, no
 * screen, no time-out — are remembered; a string that ever matched is never stored.
 *
 * Bounded: two generations of at most `capacity` strings each, none longer than
 * MAX_REMEMBERED_CHARS. When the young generation fills, the old one is dropped: recently used
 * strings survive (a hit in the old generation is copied into the young one), at O(1) per lookup.
 */
import type { InspectedValue, KnownValues, Source } from './extract.js'

/** Longer strings are almost always free text that will not repeat. */
const MAX_REMEMBERED_CHARS = 128

/** The memo's partitions: strings are only equivalent at the same engine address. */
type Partition = Source | 'keys'
type Generation = Record<Partition, Set<string>>

const generation = (): Generation => ({ path: new Set(), query: new Set(), header: new Set(), cookie: new Set(), body: new Set(), keys: new Set() })

export interface CleanMemo extends KnownValues {
  /** True when this raw value was found clean before at the same address. */
  has(value: InspectedValue): boolean
  /** Records raw values from a pass in which nothing fired. */
  remember(values: readonly InspectedValue[]): void
}

export function createCleanMemo(capacity: number): CleanMemo {
  let young = generation()
  let old = generation()
  let youngSize = 0
  const add = (partition: Partition, text: string): void => {
    if (youngSize >= capacity) {
      old = young
      young = generation()
      youngSize = 0
    }
    const set = young[partition]
    if (!set.has(text)) {
      set.add(text)
      youngSize++
    }
  }
  const knows = (source: Source, text: string, isKey: boolean): boolean => {
    if (capacity === 0 || text.length > MAX_REMEMBERED_CHARS) return false
    const partition: Partition = isKey ? 'keys' : source
    if (young[partition].has(text)) return true
    if (!old[partition].has(text)) return false
    add(partition, text)
    return true
  }
  return {
    knows,
    // File names also feed a second address; they are rare enough not to remember.
    has: (value) => !value.filename && knows(value.source, value.value, value.isKey === true),
    remember(values) {
      if (capacity === 0) return
      for (const value of values) {
        if (value.value.length > MAX_REMEMBERED_CHARS || value.filename) continue
        add(value.isKey ? 'keys' : value.source, value.value)
      }
    },
  }
}
