// @ts-check
// The dashboard page's script: src/observe/dashboard/browser/main.ts bundled by esbuild into one
// IIFE, handed to the server code as the default export of the virtual module
// `heapguard:dashboard-script`. The same bundle feeds the build (tsup's esbuild plugin) and the
// tests (a vite plugin), so the page served in tests is the page that ships.
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** What src/observe/dashboard/page.ts imports; declared in src/observe/dashboard/dashboard-script.d.ts. */
export const DASHBOARD_SCRIPT_ID = 'heapguard:dashboard-script'

const ENTRY = fileURLToPath(new URL('../src/observe/dashboard/browser/main.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Vite's and Rollup's mark for an id that no file backs. */
const VITE_ID = `\0${DASHBOARD_SCRIPT_ID}`
const NAMESPACE = 'heapguard-dashboard-script'

/**
 * Bundles the page's script. Returns the script text and the files it was built from (for watch
 * modes). Throws when the text could end the inline `<script>` element early.
 * @returns {Promise<{ code: string, files: string[] }>}
 */
export async function bundleDashboardScript() {
  const result = await build({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: 'iife',
    // Anything Node-only (node:crypto, process, Buffer) fails the build instead of reaching the page.
    platform: 'browser',
    target: 'es2020',
    minify: true,
    // ASCII only: the page's bytes, and so its CSP hash, never depend on a charset.
    charset: 'ascii',
    legalComments: 'none',
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text
  if (code === undefined) throw new Error(`${DASHBOARD_SCRIPT_ID}: esbuild wrote no output`)
  if (/<\/script|<!--/i.test(code)) throw new Error(`${DASHBOARD_SCRIPT_ID}: the bundle would close its <script> early`)
  const files = Object.keys(result.metafile.inputs).map((file) => resolve(ROOT, file))
  return { code, files }
}

/** @param {string} code */
const moduleText = (code) => `export default ${JSON.stringify(code)}\n`

/**
 * For tsup (`esbuildPlugins`).
 * @returns {import('esbuild').Plugin}
 */
export function dashboardScriptEsbuild() {
  return {
    name: DASHBOARD_SCRIPT_ID,
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^heapguard:dashboard-script$/ }, (args) => ({
        path: args.path,
        namespace: NAMESPACE,
      }))
      pluginBuild.onLoad({ filter: /.*/, namespace: NAMESPACE }, async () => {
        const { code, files } = await bundleDashboardScript()
        return { contents: moduleText(code), loader: 'js', watchFiles: files }
      })
    },
  }
}

/**
 * For vitest (`plugins`).
 * @returns {import('vite').Plugin}
 */
export function dashboardScriptVite() {
  return {
    name: DASHBOARD_SCRIPT_ID,
    resolveId(id) {
      return id === DASHBOARD_SCRIPT_ID ? VITE_ID : undefined
    },
    async load(id) {
      if (id !== VITE_ID) return undefined
      const { code, files } = await bundleDashboardScript()
      for (const file of files) this.addWatchFile(file)
      return moduleText(code)
    },
  }
}

// `node scripts/dashboard-script.mjs` prints the script's size.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { code, files } = await bundleDashboardScript()
  console.log(`${DASHBOARD_SCRIPT_ID}: ${code.length} bytes from ${files.length} files`)
  for (const file of files) console.log(`  ${relative(ROOT, file)}`)
}
