// Makes `npx portcullis` resolve to this checkout: npm links the bins of dependencies into
// node_modules/.bin, but not the project's own, and npx would otherwise go to the registry.
import { chmodSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'

mkdirSync('node_modules/.bin', { recursive: true })
rmSync('node_modules/.bin/portcullis', { force: true })
symlinkSync('../../dist/cli/main.js', 'node_modules/.bin/portcullis')
chmodSync('dist/cli/main.js', 0o755)
