// Installs heapguard into this example as a user installs it: packs this checkout's build with
// `npm pack` and installs the tarball (without saving it to package.json), after the example's
// own locked dependencies. Run `npm run build` at the repository root first.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const here = import.meta.dirname
const root = resolve(here, '../..')
if (!existsSync(join(root, 'dist', 'web.js'))) {
  console.error('setup: build heapguard first (npm run build at the repository root)')
  process.exit(1)
}
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
const dir = mkdtempSync(join(tmpdir(), 'heapguard-pack-'))
try {
  const tarball = join(dir, npm(['pack', '--silent', '--pack-destination', dir], root).trim().split('\n').pop())
  if (!existsSync(join(here, 'node_modules', 'next'))) npm(['ci', '--no-audit', '--no-fund'], here)
  npm(['install', '--no-save', '--no-audit', '--no-fund', tarball], here)
  console.log(`setup: installed ${tarball.split('/').pop()} into examples/nextjs`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
