/**
 * `portcullis validate -c FILE` (exit 1 with every error, its JSON pointer and line) and
 * `portcullis schema` (the JSON Schema, for editor autocompletion).
 */
import type { Command } from 'commander'
import { loadConfigFile, formatIssues } from '../config/load.js'
import { ConfigSchema } from '../config/schema.js'
import { createRegistry } from '../policies/registry.js'

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a configuration file; exits non-zero listing every error')
    .requiredOption('-c, --config <file>', 'configuration file (YAML)')
    .action(async (opts: { config: string }) => {
      const result = await loadConfigFile(opts.config, createRegistry())
      if (result.ok) {
        process.stdout.write(`${opts.config}: valid (${result.config.routes.length} routes)\n`)
        return
      }
      process.stderr.write(`${opts.config}: ${result.errors.length} error(s)\n${formatIssues(result.errors)}\n`)
      process.exitCode = 1
    })
  program
    .command('schema')
    .description('print the configuration JSON Schema')
    .action(() => {
      const registry = createRegistry()
      const policies = Object.fromEntries([...registry.values()].map((p) => [p.name, p.schema]))
      process.stdout.write(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'Portcullis configuration', ...ConfigSchema, 'x-policies': policies }, null, 2) + '\n')
    })
}
