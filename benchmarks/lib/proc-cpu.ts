/**
 * CPU time a child process has used (user + system), from /proc on Linux. On a shared machine a
 * target's CPU per request is far steadier than its throughput, which moves with everyone
 * else's load; benchmarks report both.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Reads a process's cumulative CPU time; `undefined` where /proc is not available. */
export type CpuReader = (pid: number) => number | undefined

/** Creates a reader returning milliseconds of CPU (resolution one clock tick, usually 10 ms). */
export function createCpuReader(): CpuReader {
  let ticksPerSecond = 100
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    // getconf missing: 100 Hz is the Linux USER_HZ on every mainstream architecture.
  }
  return (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Fields after the parenthesised command name (which may itself contain spaces or parens).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const utime = Number(fields[11])
      const stime = Number(fields[12])
      return ((utime + stime) * 1000) / ticksPerSecond
    } catch {
      return undefined
    }
  }
}
