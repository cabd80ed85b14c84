// tsc emits only JavaScript; data files that modules read at run time (rule sets) are copied
// next to the compiled code so `dist/` runs on its own.
import { cpSync, statSync } from 'node:fs'

const isDataFile = (path) => path.endsWith('.json')
cpSync('src', 'dist', { recursive: true, filter: (path) => statSync(path).isDirectory() || isDataFile(path) })
