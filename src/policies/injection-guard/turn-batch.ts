/**
 * Runs the inspections of one event-loop turn together, at the end of the turn.
 *
 * Why: inspection is dominated by libddwaf's native tables (RE2 automata, libinjection), and in a
 * busy gateway every request's parsing and forwarding evicts them from the CPU caches between two
 * inspections; each engine run also has a fixed cost. Under load, every request whose body
 * completed in the same turn is inspected in one go — `runAll` may clear them all in one engine
 * run — while idle, a lone request waits only for the end of its turn.
 */
export function createTurnBatch<In, Out>(runAll: (inputs: readonly In[]) => Out[], runOne: (input: In) => Out): (input: In) => Promise<Out> {
  let queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = []
  const flush = (): void => {
    const batch = queue
    queue = []
    let outputs: Out[] | undefined
    try {
      outputs = batch.length === 1 ? undefined : runAll(batch.map((item) => item.input))
    } catch {
      // One failing input must not take the others of its turn with it: run them one by one.
    }
    batch.forEach((item, i) => {
      if (outputs) return item.resolve(outputs[i]!)
      try {
        item.resolve(runOne(item.input))
      } catch (error) {
        item.reject(error)
      }
    })
  }
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush)
      queue.push({ input, resolve, reject })
    })
}
