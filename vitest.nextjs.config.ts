import { defineConfig } from 'vitest/config'

// The Next.js example's end-to-end test (npm run test:nextjs): its own step, one file, no parallel
// neighbours (it builds an app and loads a server under a 192 MB heap).
export default defineConfig({
  test: {
    include: ['test/nextjs/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 660_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
