/**
 * Test inputs for the structured-field fast paths: seeded random RFC 8941 Dictionaries (every
 * bare item type, whitespace variants, repeated keys) and small mutations of them, so the fast
 * parser and serializer can be compared with structured-headers on thousands of cases.
 */

/** A seeded PRNG (mulberry32): failures are reproducible from the seed. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number

function pick(random: Random, items: string): string
function pick<T>(random: Random, items: readonly T[]): T
function pick<T>(random: Random, items: readonly T[] | string): T | string {
  return items[Math.floor(random() * items.length)]!
}
const chance = (random: Random, p: number): boolean => random() < p
const repeat = (random: Random, max: number, f: () => string): string => Array.from({ length: Math.floor(random() * (max + 1)) }, f).join('')

const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const KEY_REST = `${LOWER}0123456789_-.*`
const TOKEN_FIRST = `${LOWER}ABCDEFGHIJKLMNOPQRSTUVWXYZ*`
const TOKEN_REST = `${TOKEN_FIRST}0123456789:/!#$%&'+-.^_\`|~`

/** A generated Dictionary and what a correct fast path must do with it. */
export interface GeneratedDictionary {
  text: string
  /** Contains a type or spelling only the library handles (decimal, date, display string, loose base64). */
  needsLibrary: boolean
  duplicateKeys: boolean
}

export function randomDictionary(random: Random): GeneratedDictionary {
  const state = { needsLibrary: false }
  const keys: string[] = []
  let text = chance(random, 0.1) ? ' ' : ''
  const members = 1 + Math.floor(random() * 4)
  for (let m = 0; m < members; m++) {
    if (m > 0) text += pick(random, [',', ', ', ',  ', ' , ', ',\t', '\t, '])
    const key = keys.length > 0 && chance(random, 0.08) ? pick(random, keys) : randomKey(random)
    keys.push(key)
    const kind = random()
    if (kind < 0.4) text += `${key}=${innerList(random, state)}`
    else if (kind < 0.9) text += `${key}=${item(random, state)}`
    else text += `${key}${params(random, state)}`
  }
  return { text, needsLibrary: state.needsLibrary, duplicateKeys: new Set(keys).size !== keys.length }
}

function randomKey(random: Random): string {
  return pick(random, `${LOWER}*`) + repeat(random, 6, () => pick(random, KEY_REST))
}

function innerList(random: Random, state: { needsLibrary: boolean }): string {
  const items = Array.from({ length: Math.floor(random() * 4) }, () => item(random, state))
  const inner = chance(random, 0.8) ? items.join(' ') : ` ${items.join('  ')}`
  return `(${inner})${params(random, state)}`
}

function item(random: Random, state: { needsLibrary: boolean }): string {
  return bareItem(random, state) + params(random, state)
}

function params(random: Random, state: { needsLibrary: boolean }): string {
  return repeat(random, 3, () => `;${chance(random, 0.1) ? ' ' : ''}${randomKey(random)}${chance(random, 0.8) ? `=${bareItem(random, state)}` : ''}`)
}

function bareItem(random: Random, state: { needsLibrary: boolean }): string {
  // Mostly the types signature fields carry; now and then one only the library handles.
  const kind = chance(random, 0.94) ? Math.floor(random() * 9) : 9 + Math.floor(random() * 3)
  switch (kind) {
    case 0:
    case 1: {
      const digits = 1 + Math.floor(random() * 15)
      return (chance(random, 0.2) ? '-' : '') + Array.from({ length: digits }, () => pick(random, '0123456789')).join('')
    }
    case 2:
    case 3: {
      const chars = repeat(random, 12, () => {
        const c = String.fromCharCode(0x20 + Math.floor(random() * 95))
        return c === '"' || c === '\\' ? `\\${c}` : c
      })
      return `"${chars}"`
    }
    case 4:
    case 5:
      return pick(random, TOKEN_FIRST) + repeat(random, 8, () => pick(random, TOKEN_REST))
    case 6:
    case 7: {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)))
      let encoded = bytes.toString('base64')
      if (chance(random, 0.15) && encoded.endsWith('=')) {
        encoded = encoded.replace(/=+$/, '') // unpadded: valid for the library, not canonical
        state.needsLibrary = true
      }
      return `:${encoded}:`
    }
    case 8:
      return pick(random, ['?0', '?1'])
    case 9:
      state.needsLibrary = true
      return `${chance(random, 0.2) ? '-' : ''}${Math.floor(random() * 1e6)}.${Math.floor(random() * 1000)}`
    case 10:
      state.needsLibrary = true
      return `@${Math.floor(random() * 2e9)}`
    default:
      state.needsLibrary = true
      return `%"${repeat(random, 6, () => pick(random, ['a', ' ', '%c3%a9', '%25', '%22']))}"`
  }
}

/** One small random edit: a deletion, an insertion of a meaningful character, or a truncation. */
export function mutate(random: Random, text: string): string {
  const at = Math.floor(random() * (text.length + 1))
  const kind = random()
  if (kind < 0.35) return text.slice(0, at) + text.slice(at + 1)
  if (kind < 0.85) return text.slice(0, at) + pick(random, ['"', '\\', '(', ')', ';', '=', ',', ':', '?', '*', '-', '.', '@', '%', 'a', 'A', '1', ' ', '\t', '~', 'é', '\u0000']) + text.slice(at)
  return text.slice(0, at)
}
