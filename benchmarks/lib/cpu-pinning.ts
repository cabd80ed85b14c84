/**
 * CPU pinning for benchmarks on a small machine: the gateway under test gets a core of its own,
 * the load generator and the upstream share the other. Unpinned, the scheduler moves the three
 * processes across both cores, and the gateway's CPU per request then depends on who ran where
 * last (cold caches, wake-ups on the other core): side-by-side windows of identical routes
 * differed by tens of µs per request. Pinned, the gateway saturates its core and its req/s is
 * its own cost. Linux only (`taskset`); elsewhere, or with BENCH_PIN=0, nothing is pinned.
 */
import { execFileSync } from 'node:child_process'

export interface CpuPinning {
  /** True when processes are actually pinned. */
  readonly active: boolean
  /** Pins a target under test (all its threads) to its own core. */
  pinTarget(pid: number): void
  /** Pins the load generator or the upstream (all threads) to the other core. */
  pinDriver(pid: number): void
  /** One line for the report. */
  describe(): string
}

function setAffinity(pid: number, cpus: string): void {
  // -a: every thread of the process (libuv pool, GC helpers); threads started later inherit it.
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

/**
 * The CPUs this process may run on, from `taskset -pc` ("…affinity list: 0,2-3"); empty when
 * taskset is missing. A container may be limited to CPUs other than 0 and 1.
 */
function allowedCpus(): number[] {
  try {
    const out = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' })
    return (out.split(':').pop() ?? '').trim().split(',').flatMap((part) => {
      const [from, to] = part.split('-').map(Number)
      const last = to ?? from
      return from === undefined || last === undefined || Number.isNaN(from) || Number.isNaN(last) ? [] : Array.from({ length: last - from + 1 }, (_, i) => from + i)
    })
  } catch {
    return []
  }
}

/** Pinning per BENCH_PIN (default on where this process may use at least two cores and `taskset` works). */
export function createCpuPinning(env: NodeJS.ProcessEnv = process.env): CpuPinning {
  const wanted = env.BENCH_PIN !== '0'
  const cpus = wanted && process.platform === 'linux' ? allowedCpus() : []
  const active = cpus.length >= 2
  // The first two allowed CPUs: the driver on one, the target on the other.
  const driverCpu = String(cpus[0])
  const targetCpu = String(cpus[1])
  return {
    active,
    pinTarget: (pid) => active && setAffinity(pid, targetCpu),
    pinDriver: (pid) => active && setAffinity(pid, driverCpu),
    describe: () =>
      active
        ? `gateway pinned to CPU ${targetCpu}; load generator and upstream pinned to CPU ${driverCpu} (BENCH_PIN=0 to turn off)`
        : `nothing pinned${wanted ? ' (needs Linux, taskset and two allowed cores)' : ' (BENCH_PIN=0)'}; load generator and all targets share the machine`,
  }
}
