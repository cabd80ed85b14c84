/**
 * CPU pinning for benchmarks on a small machine: the gateway under test gets a core of its own,
 * the load generator and the upstream share the other. Unpinned, the scheduler moves the three
 * processes across both cores, and the gateway's CPU per request then depends on who ran where
 * last (cold caches, wake-ups on the other core): side-by-side windows of identical routes
 * differed by tens of µs per request. Pinned, the gateway saturates its core and its req/s is
 * its own cost. Linux only (`taskset`); elsewhere, or with BENCH_PIN=0, nothing is pinned.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

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

const TARGET_CPU = '1'
const DRIVER_CPU = '0'

function setAffinity(pid: number, cpus: string): void {
  // -a: every thread of the process (libuv pool, GC helpers); threads started later inherit it.
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

function tasksetWorks(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Pinning per BENCH_PIN (default on where there are at least two cores and `taskset`). */
export function createCpuPinning(env: NodeJS.ProcessEnv = process.env): CpuPinning {
  const wanted = env.BENCH_PIN !== '0'
  const active = wanted && process.platform === 'linux' && availableParallelism() >= 2 && tasksetWorks()
  return {
    active,
    pinTarget: (pid) => active && setAffinity(pid, TARGET_CPU),
    pinDriver: (pid) => active && setAffinity(pid, DRIVER_CPU),
    describe: () =>
      active
        ? `gateway pinned to CPU ${TARGET_CPU}; load generator and upstream pinned to CPU ${DRIVER_CPU} (BENCH_PIN=0 to turn off)`
        : `nothing pinned${wanted ? ' (needs Linux, taskset and two cores)' : ' (BENCH_PIN=0)'}; load generator and all targets share the machine`,
  }
}
