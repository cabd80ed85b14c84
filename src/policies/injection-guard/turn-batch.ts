/**
 * Runs the inspections of one event-loop turn back to back, at the end of the turn.
 *
 * Why: inspection is dominated by libddwaf's native tables (RE2 automata, libinjection), and in a
 * busy gateway every request's parsing and forwarding evicts them from the CPU caches between two
 * inspections. Measured on the benchmark's typical 1 KiB documents, pinned to one core: 74 µs per
 * inspection with warm caches, 129 µs when each one follows other work, 90 µs when four run in a
 * row and 80 µs for eight. Under load, every request whose body completed in the same turn is
 * inspected in one go; idle, a lone request waits only for the end of its turn.
 */
export function createTurnBatch<In, Out>(run: (input: In) => Out): (input: In) => Promise<Out> {
  let queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = []
  const flush = (): void => {
    const batch = queue
    queue = []
    for (const item of batch) {
      try {
        item.resolve(run(item.input))
      } catch (error) {
        // One failing input must not take the others of its turn with it.
        item.reject(error)
      }
    }
  }
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush)
      queue.push({ input, resolve, reject })
    })
}
