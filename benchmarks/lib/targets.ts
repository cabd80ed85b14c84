/** Starts benchmark targets as child processes and waits for their READY line. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Target {
  url: string
  /** Second URL on the READY line (the admin listener of gateway targets), when printed. */
  adminUrl?: string
  child: ChildProcess
  stop(): void
}

/** Options of {@link startTarget}. */
export interface StartTargetOptions {
  /** Extra environment variables for the child (on top of this process's). */
  env?: Record<string, string>
  /** Extra node options, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[]
}

/** Spawns `targets/<script>` with tsx; resolves at its `READY <url> [<admin url>]` line. */
export function startTarget(script: string, args: string[] = [], options: StartTargetOptions = {}): Promise<Target> {
  const path = fileURLToPath(new URL(`../targets/${script}`, import.meta.url))
  // .mjs targets are plain JavaScript over the compiled dist/ and run on plain node.
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx']
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, path, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      // Wait for the whole line, so a URL split across chunks is never read half-way.
      const m = /READY (\S+)(?: (\S+))?\r?\n/.exec(out)
      if (m) resolve({ url: m[1]!, ...(m[2] ? { adminUrl: m[2] } : {}), child, stop: () => child.kill('SIGKILL') })
    })
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before READY`)))
  })
}
