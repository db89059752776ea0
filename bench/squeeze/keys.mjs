// The key stream every variant receives: mostly keys never seen before (the traffic that fills a
// cache sized by entry count), plus a small hot set that a healthy cache should keep serving.
// Seeded, so every variant gets the same sequence.

/** Hot keys start with this prefix, so the client can tell hot-set hits from the rest. */
export const HOT_PREFIX = 'h'

/** mulberry32: a tiny, fast, seeded PRNG (the stream must be the same run after run). */
export function seededRandom(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Returns `next()` → `{ key, hot }`: with probability `hotShare` one of `hotKeys` hot keys
 * (uniformly), else a brand-new key.
 */
export function keyStream({ seed = 7, hotShare = 0.2, hotKeys = 500 } = {}) {
  const random = seededRandom(seed)
  let fresh = 0
  return {
    next() {
      if (random() < hotShare) return { key: `${HOT_PREFIX}${Math.floor(random() * hotKeys)}`, hot: true }
      return { key: `n${fresh++}`, hot: false }
    },
  }
}
