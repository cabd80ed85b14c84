/** Starts benchmark targets as child processes and waits for their READY line. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Target {
  url: string
  child: ChildProcess
  stop(): void
}

export function startTarget(script: string, args: string[] = []): Promise<Target> {
  const path = fileURLToPath(new URL(`../targets/${script}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /READY (\S+)/.exec(out)
      if (m) resolve({ url: m[1]!, child, stop: () => child.kill('SIGKILL') })
    })
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before READY`)))
  })
}
