import type { NextConfig } from 'next'

const config: NextConfig = {
  // This app lives inside the heapguard repository, whose lockfile Next.js would take for the root.
  turbopack: { root: import.meta.dirname },
  // Next.js keeps rendered pages and fetch results in an in-memory cache of its own (50 MB by
  // default). heapguard cannot shrink it; under a 192 MB heap, keep it small.
  cacheMaxMemorySize: 8 * 1024 * 1024,
  // heapguard is bundled into each server entry like any dependency: instrumentation.ts and each
  // route get their own copy, and sharedController() still gives them one controller.
}

export default config
