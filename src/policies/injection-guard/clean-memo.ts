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
import type { InspectedValue } from './extract.js'
import { feedsFilenames } from './ddwaf-payload.js'

/** Longer strings are almost always free text that will not repeat. */
const MAX_REMEMBERED_CHARS = 128

/** The memo's partition for a value: strings are only equivalent at the same engine address. */
function partitionOf(value: InspectedValue): string | undefined {
  // File names also feed a second address; they are rare enough not to remember.
  if (feedsFilenames(value)) return undefined
  return value.isKey ? 'keys' : value.source
}

export interface CleanMemo {
  /** True when this raw value was found clean before at the same address. */
  has(value: InspectedValue): boolean
  /** Records raw values from a pass in which nothing fired. */
  remember(values: readonly InspectedValue[]): void
}

export function createCleanMemo(capacity: number): CleanMemo {
  let young = new Map<string, Set<string>>()
  let old = new Map<string, Set<string>>()
  let youngSize = 0
  const add = (partition: string, text: string): void => {
    if (youngSize >= capacity) {
      old = young
      young = new Map()
      youngSize = 0
    }
    let set = young.get(partition)
    if (!set) young.set(partition, (set = new Set()))
    if (!set.has(text)) {
      set.add(text)
      youngSize++
    }
  }
  return {
    has(value) {
      if (capacity === 0 || value.value.length > MAX_REMEMBERED_CHARS) return false
      const partition = partitionOf(value)
      if (partition === undefined) return false
      if (young.get(partition)?.has(value.value)) return true
      if (!old.get(partition)?.has(value.value)) return false
      add(partition, value.value)
      return true
    },
    remember(values) {
      if (capacity === 0) return
      for (const value of values) {
        if (value.value.length > MAX_REMEMBERED_CHARS) continue
        const partition = partitionOf(value)
        if (partition !== undefined) add(partition, value.value)
      }
    },
  }
}
