/**
 * `portcullis start [-c portcullis.yaml]`: runs the gateway from a file (hot-reloaded on change
 * and on SIGHUP), or demo mode when no file is given and ./portcullis.yaml does not exist.
 * SIGTERM / SIGINT drain in-flight requests before exiting.
 */
import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { loadConfigFile, formatIssues } from '../config/load.js'
import { createRegistry } from '../policies/registry.js'
import { createGateway } from '../gateway.js'
import { startDemoMode, demoBanner } from '../demo/demo-mode.js'

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the gateway (demo mode when no config file is found)')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--no-watch', 'do not reload when the file changes (SIGHUP still reloads)')
    .action(async (opts: { config?: string; watch: boolean }) => {
      const path = opts.config ?? (existsSync('portcullis.yaml') ? 'portcullis.yaml' : undefined)
      let stop: () => Promise<void>
      let reload: (() => Promise<unknown>) | undefined
      if (!path) {
        const demo = await startDemoMode()
        process.stdout.write(demoBanner(demo.credentials, process.env.PORTCULLIS_HOME ?? '.portcullis'))
        stop = demo.stop
      } else {
        const registry = createRegistry()
        const loaded = await loadConfigFile(path, registry)
        if (!loaded.ok) {
          process.stderr.write(`${path} is invalid:\n${formatIssues(loaded.errors)}\n`)
          process.exit(1)
        }
        const adminToken = process.env.PORTCULLIS_ADMIN_TOKEN
        const gateway = await createGateway({
          config: loaded.config,
          configPath: path,
          watch: opts.watch,
          registry,
          home: process.env.PORTCULLIS_HOME ?? '.portcullis',
          adminTokens: adminToken ? [{ name: 'env', token: adminToken, roles: ['admin'] }] : [],
        })
        await gateway.start()
        gateway.logger.info({ gateway: gateway.url, admin: gateway.adminUrl }, 'portcullis started')
        stop = () => gateway.stop()
        reload = () => gateway.reload()
      }
      process.on('SIGHUP', () => void reload?.())
      let stopping = false
      const shutdown = (signal: string): void => {
        if (stopping) return
        stopping = true
        process.stderr.write(`${signal}: draining in-flight requests...\n`)
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`shutdown failed: ${(error as Error).message}\n`)
            process.exit(1)
          },
        )
      }
      process.on('SIGTERM', () => shutdown('SIGTERM'))
      process.on('SIGINT', () => shutdown('SIGINT'))
    })
}
