#!/usr/bin/env node
/**
 * The `portcullis` command. Every subcommand lives in its own file; this one only wires them.
 */
import { Command } from 'commander'
import { registerStart } from './start.js'
import { registerValidate } from './validate.js'
import { registerDemoApi } from './demo-api.js'
import { registerKeys } from './keys.js'
import { registerSign } from './sign.js'

const program = new Command()
program.name('portcullis').description('API security gateway').version('0.1.0')
registerStart(program)
registerValidate(program)
registerDemoApi(program)
registerKeys(program)
registerSign(program)
await program.parseAsync(process.argv)
