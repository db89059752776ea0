// Bundles the library from src/ with another regrowth curve in place of
// src/caches/regrowth-curve.ts, so that the regrowth benchmark can compare curves that the
// library does not ship. Writes one ESM file; returns its URL.
import { mkdirSync } from 'node:fs'
import { build } from 'esbuild'

const ROOT = new URL('../../', import.meta.url)
const OUT = new URL('node_modules/.cache/heapguard-bench/', ROOT)

/** `curve` names a file of bench/squeeze/curves/ (without .ts). */
export async function buildWithCurve(curve) {
  mkdirSync(OUT, { recursive: true })
  const outfile = new URL(`index-${curve}.mjs`, OUT)
  const replacement = new URL(`curves/${curve}.ts`, import.meta.url).pathname
  let replaced = false
  await build({
    entryPoints: [new URL('src/index.ts', ROOT).pathname],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: outfile.pathname,
    // The run-time dependencies stay imports, resolved from the project's node_modules.
    external: ['lru-cache', 'eventemitter3'],
    logLevel: 'warning',
    plugins: [
      {
        name: 'regrowth-curve',
        setup(b) {
          b.onResolve({ filter: /\/regrowth-curve\.js$/ }, () => {
            replaced = true
            return { path: replacement }
          })
        },
      },
    ],
  })
  if (!replaced) throw new Error('build-curve: src/ no longer imports ./regrowth-curve.js; nothing was replaced')
  return outfile
}
