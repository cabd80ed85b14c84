/** `portcullis demo-api`: the demo weather API alone, as an upstream for your own config. */
import type { Command } from 'commander'
import { startDemoApi } from '../demo/index.js'

export function registerDemoApi(program: Command): void {
  program
    .command('demo-api')
    .description('run the demo weather-stations API on its own')
    .option('-p, --port <port>', 'port', '9000')
    .option('--host <host>', 'host', '127.0.0.1')
    .option('--db <path>', 'SQLite file (default: in memory)')
    .action(async (opts: { port: string; host: string; db?: string }) => {
      const api = await startDemoApi({ port: Number(opts.port), host: opts.host, ...(opts.db ? { dbPath: opts.db } : {}) })
      process.stdout.write(`demo API listening on ${api.url}\n`)
      const stop = (): void => void api.close().then(() => process.exit(0))
      process.on('SIGTERM', stop)
      process.on('SIGINT', stop)
    })
}
