/**
 * `portcullis validate -c FILE` (exit 1 with every error, its JSON pointer and line) and
 * `portcullis schema` (the JSON Schema, for editor autocompletion).
 */
import type { Command } from 'commander'
import { loadConfigFile, formatIssues } from '../config/load.js'
import { ConfigSchema } from '../config/schema.js'
import { createRegistry } from '../policies/registry.js'
import { lintConfig, formatFindings } from '../lint/lint.js'

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a configuration file; exits non-zero listing every error')
    .requiredOption('-c, --config <file>', 'configuration file (YAML)')
    .option('--lint', 'also run the least-privilege lint (exit 1 on lint errors)')
    .option('--strict', 'with --lint: warnings fail too')
    .action(async (opts: { config: string; lint?: boolean; strict?: boolean }) => {
      const registry = createRegistry()
      const result = await loadConfigFile(opts.config, registry)
      if (result.ok) {
        process.stdout.write(`${opts.config}: valid (${result.config.routes.length} routes)\n`)
        if (!opts.lint) return
        const findings = lintConfig(result.config, registry)
        if (findings.length > 0) process.stderr.write(`${formatFindings(findings)}\n`)
        else process.stdout.write('lint: no findings\n')
        if (findings.some((f) => f.severity === 'error' || opts.strict)) process.exitCode = 1
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
