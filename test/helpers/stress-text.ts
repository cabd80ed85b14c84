/**
 * Texts that stress a regex automaton, shared by the bounded-time test and `bench:injection`.
 */

/** `length` characters of `pieces` in a fixed pseudo-random order. */
export function stir(pieces: readonly string[], length: number): string {
  let seed = 21
  let text = ''
  while (text.length < length) text += pieces[(seed = (seed * 1103515245 + 12345) >>> 0) % pieces.length]
  return text.slice(0, length)
}

/** 100 KB of automaton stress: counters restarted at random places, and endless near-misses of keywords. */
export const AUTOMATON_STRESS: readonly [string, string][] = [
  ["random '${' and letters", stir(['${', 'a', 'b', ' ', 'x'], 100_000)],
  ['random keyword near-misses', stir(['selec ', 'unio ', 'whoam ', 'wge ', 'proces ', 'requir ', 'passthr ', '/et/', '..', '-', '  '], 100_000)],
]
