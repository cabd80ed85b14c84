/**
 * Remembers strings the engine found clean, so traffic that repeats them pays for a map lookup
 * instead of normalisation and two native passes. Real API traffic repeats most of its strings —
 * JSON keys, header values, enumerations, ids — while free text is new each time; only the new
 * strings then reach the engine.
 *
 * Sound because the verdict on one string at one address is a pure function of the string and
 * the compiled rule set: every rule has one condition on one address, and normalisation is
 * deterministic. A memo belongs to one guard (one rule selection) and dies with it, so a
 * configuration reload starts empty. Only strings from a run in which no rule matched anything
 * and nothing timed out are remembered (a screen's false alarm that the individual rules settled
 * counts as no match); a string that ever matched is never stored.
 *
 * Bounded: two generations of at most `capacity` strings each, none longer than
 * MAX_REMEMBERED_CHARS. When the young generation fills, the old one is dropped: recently used
 * strings survive (a hit in the old generation is copied into the young one), at O(1) per lookup.
 */
import type { InspectedValue, KnownValues, Source } from './extract.js'

/** Longer strings are almost always free text that will not repeat. */
const MAX_REMEMBERED_CHARS = 128

/**
 * A string's verdict holds only at the address it was seen at: one bit per address — a value
 * source, or keys. A generation maps each string to the bits it is known clean at, so a lookup is
 * one hash probe.
 */
function addressBit(source: Source, isKey: boolean): number {
  if (isKey) return 1
  switch (source) {
    case 'body':
      return 2
    case 'header':
      return 4
    case 'query':
      return 8
    case 'path':
      return 16
    case 'cookie':
      return 32
  }
}

export interface CleanMemo extends KnownValues {
  /** True when this raw value was found clean before at the same address. */
  has(value: InspectedValue): boolean
  /** Records raw values from a run in which no rule matched anything (see EngineResult.clean). */
  remember(values: readonly InspectedValue[]): void
}

export function createCleanMemo(capacity: number): CleanMemo {
  let young = new Map<string, number>()
  let old = new Map<string, number>()
  let youngSize = 0
  const add = (text: string, bit: number): void => {
    if (youngSize >= capacity) {
      old = young
      young = new Map()
      youngSize = 0
    }
    const bits = young.get(text)
    if (bits === undefined) {
      young.set(text, bit)
      youngSize++
    } else if ((bits & bit) === 0) {
      young.set(text, bits | bit)
      youngSize++
    }
  }
  const knows = (source: Source, text: string, isKey: boolean): boolean => {
    if (capacity === 0 || text.length > MAX_REMEMBERED_CHARS) return false
    const bit = addressBit(source, isKey)
    if (((young.get(text) ?? 0) & bit) !== 0) return true
    if (((old.get(text) ?? 0) & bit) === 0) return false
    add(text, bit)
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
        add(value.value, addressBit(value.source, value.isKey === true))
      }
    },
  }
}
