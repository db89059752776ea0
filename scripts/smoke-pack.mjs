// Packs the library, installs the tarball into a scratch project and loads every entry of the
// exports map with import() and require(): proves the published ESM, CJS and .d.ts files work.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync, symlinkSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const dir = mkdtempSync(join(tmpdir(), 'heapguard-smoke-'))
try {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' })
  const tarball = join(dir, out.trim().split('\n').pop())
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'smoke', private: true, type: 'module' }))
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: dir, stdio: 'inherit' })
  // Optional peers come from the project's own node_modules, so the check needs no network.
  for (const peer of Object.keys(pkg.peerDependencies ?? {})) {
    const target = join(dir, 'node_modules', peer)
    if (existsSync(target)) continue
    mkdirSync(dirname(target), { recursive: true })
    symlinkSync(join(root, 'node_modules', peer), target, 'dir')
  }
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json')
  const script = `
    import { createRequire } from 'node:module'
    const require = createRequire(import.meta.url)
    const paths = ${JSON.stringify(subpaths)}
    for (const p of paths) {
      const id = p === '.' ? 'heapguard' : 'heapguard/' + p.slice(2)
      const esm = await import(id)
      const cjs = require(id)
      // A default export shows as a 'default' key in both builds; interop keys are not exports.
      const names = (m) => Object.keys(m).filter((k) => k !== 'module.exports' && k !== '__esModule').sort().join(',')
      const a = names(esm)
      const b = names(cjs)
      if (a !== b) throw new Error(id + ': ESM exports [' + a + '] differ from CJS exports [' + b + ']')
      console.log('ok', id, '(' + Object.keys(cjs).length + ' exports)')
    }
  `
  writeFileSync(join(dir, 'check.mjs'), script)
  execFileSync(process.execPath, ['check.mjs'], {
    cwd: dir,
    stdio: 'inherit',
  })
  for (const p of subpaths) {
    const entry = pkg.exports[p]
    for (const types of [entry.import?.types, entry.require?.types]) {
      if (types && !existsSync(join(root, types))) throw new Error(`missing declaration file ${types}`)
    }
  }
  // Files shipped beside the code: the alert rules and the Grafana dashboard.
  for (const file of ['observability/prometheus-rules.yml', 'observability/grafana-dashboard.json']) {
    if (!existsSync(join(dir, 'node_modules', 'heapguard', file))) throw new Error(`the tarball lacks ${file}`)
  }
  console.log('smoke: the packed build loads as ESM and CommonJS, with the observability files')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
