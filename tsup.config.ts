import { defineConfig } from 'tsup'
import { dashboardScriptEsbuild } from './scripts/dashboard-script.mjs'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    query: 'src/query.ts',
    fastify: 'src/fastify.ts',
    prometheus: 'src/prometheus.ts',
    http: 'src/http.ts',
    otel: 'src/otel.ts',
    web: 'src/web.ts',
    hono: 'src/hono.ts',
    prisma: 'src/prisma.ts',
    pg: 'src/pg.ts',
    pprof: 'src/pprof.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: false, // the build script empties dist first; parallel dev builds must not delete each other's files
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // The dashboard page's script, bundled for the browser and inlined as a string.
  esbuildPlugins: [dashboardScriptEsbuild()],
})
