/**
 * Runs the real `portcullis` CLI (through tsx, so no build is needed) as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/** Spawns the CLI; stdout/stderr are collected and exposed line by line. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { child: ChildProcess; output: () => string; waitFor(pattern: RegExp): Promise<RegExpMatchArray>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8')
    for (const w of [...waiters]) {
      const m = text.match(w.pattern)
      if (m) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
    }
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern) {
      const m = text.match(pattern)
      if (m) return Promise.resolve(m)
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve })
        void exited.then(() => reject(new Error(`CLI exited before printing ${pattern}:\n${text}`)))
      })
    },
  }
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number | null; output: string }> {
  const run = spawnCli(args, env, cwd)
  const code = await run.exited
  return { code, output: run.output() }
}
