import { defineConfig } from 'vitest/config'
import { dashboardScriptVite } from './scripts/dashboard-script.mjs'

export default defineConfig({
  // The dashboard page's script, bundled for the browser exactly as the build does.
  plugins: [dashboardScriptVite()],
  test: {
    include: ['test/**/*.test.ts'],
    // Real-process and browser tests spawn children; the machines have 2 cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    // A throwaway PostgreSQL for the database tests (test/db), and the example's Prisma clients.
    globalSetup: ['test/support/postgres-setup.mjs'],
  },
})
