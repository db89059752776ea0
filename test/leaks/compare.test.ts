// The site diff, on synthetic profiles: what a window does with its checkpoints
// (compareHeapProfiles is the same code, public for profiles read by hand).
import { describe, expect, it } from 'vitest'
import { compareHeapProfiles } from '../../src/index.js'
import { APP, ORDERS, PKG, series, type Frame } from './helpers.js'

const KiB = 1024
const handle: Frame = ['handle', APP, 10]

describe('compareHeapProfiles: what grew', () => {
  it('names a site that grew at every checkpoint, and leaves out a full cache, one that stopped growing, and garbage', () => {
    const { sites, explained, intervals } = compareHeapProfiles(
      series([
        { stack: [handle, ['leak', APP, 20]], bytes: [1000 * KiB, 2000 * KiB, 3000 * KiB, 4000 * KiB] },
        // A cache at capacity: its turnover since the sampler started is all there at the baseline.
        { stack: [handle, ['cacheSet', APP, 30]], bytes: [5000 * KiB, 5000 * KiB, 5000 * KiB, 5000 * KiB] },
        // Filled up during the window, then bounded.
        { stack: [handle, ['warmUp', APP, 40]], bytes: [2000 * KiB, 4000 * KiB, 4000 * KiB, 4000 * KiB] },
        // In flight at each read: up and down.
        { stack: [handle, ['render', APP, 50]], bytes: [300 * KiB, 100 * KiB, 400 * KiB, 200 * KiB] },
      ]),
    )
    expect(sites.map((s) => s.fn)).toEqual(['leak'])
    expect(sites[0]).toMatchObject({
      fn: 'leak',
      file: '/srv/app/server.js',
      line: 20,
      package: null,
      bytesPerSecond: 1000 * KiB,
      liveBytes: 4000 * KiB,
    })
    expect(intervals).toEqual({ counted: 3, total: 3 })
    // The heap (here: the profiles' own totals) grew 4900 KiB: the leak's 3000, the warm-up's 2000, 100 less garbage.
    expect(explained).toBeCloseTo(3000 / 4900, 6)
  })

  it('leaves out a bounded site whose count of samples rose three times by chance, within its noise', () => {
    // 40 samples at the baseline, then 41, 42, 43: √(2·40) ≈ 9 samples is its noise.
    const { sites } = compareHeapProfiles(
      series([{ stack: [handle, ['cacheSet', APP, 30]], bytes: [4000, 4100, 4200, 4300] }], [1e6, 2e6, 3e6, 4e6]),
    )
    expect(sites).toEqual([])
  })

  it("leaves out what the inspector allocated to answer a read (the window's own)", () => {
    const { sites } = compareHeapProfiles(
      series([
        {
          stack: [
            ['read', APP, 3],
            ['post', 'node:inspector', 112],
            ['(anonymous)', APP, 5],
          ],
          bytes: [0, 1000, 2000, 3000],
        },
      ]),
    )
    expect(sites).toEqual([])
  })

  it('judges growth from the first checkpoint on: what was alive at the baseline is not growth', () => {
    const { sites } = compareHeapProfiles(
      series([{ stack: [handle, ['startup', APP, 5]], bytes: [50_000 * KiB, 50_000 * KiB, 50_000 * KiB] }]),
    )
    expect(sites).toEqual([])
  })

  it('ranks sites by rate and gives each its share of the heap growth', () => {
    const { sites, explained } = compareHeapProfiles(
      series(
        [
          { stack: [handle, ['slow', APP, 60]], bytes: [0, 1000, 2000, 3000] },
          { stack: [handle, ['fast', APP, 70]], bytes: [0, 3000, 6000, 9000] },
        ],
        [100_000, 105_000, 110_000, 115_000],
      ),
    )
    expect(sites.map((s) => [s.fn, s.bytesPerSecond, s.share])).toEqual([
      ['fast', 3000, 0.6],
      ['slow', 1000, 0.2],
    ])
    expect(explained).toBeCloseTo(0.8, 6)
  })

  it("sums the call paths that end in one site, and shows the biggest one's stack", () => {
    const { sites } = compareHeapProfiles(
      series([
        {
          stack: [
            ['routeA', ORDERS, 3],
            ['remember', APP, 20],
            ['set', ''],
          ],
          bytes: [100, 200, 300],
        },
        {
          stack: [
            ['routeB', ORDERS, 9],
            ['remember', APP, 20],
            ['set', ''],
          ],
          bytes: [1000, 2000, 3000],
        },
      ]),
    )
    expect(sites).toHaveLength(1)
    expect(sites[0]).toMatchObject({ fn: 'remember', line: 20, bytesPerSecond: 1100, liveBytes: 3300 })
    expect(sites[0]!.stack).toEqual([
      'set (native)',
      'remember (/srv/app/server.js:20)',
      'routeB (/srv/app/orders.js:9)',
    ])
  })
})

describe('compareHeapProfiles: attribution', () => {
  const one = (stack: Frame[]) => compareHeapProfiles(series([{ stack, bytes: [0, 1000, 2000, 3000] }])).sites[0]!

  it('attributes a builtin leaf (Map.prototype.set, Array.prototype.push) to the first application frame above it', () => {
    const site = one([handle, ['remember', APP, 20], ['set', '']])
    expect(site).toMatchObject({ fn: 'remember', file: '/srv/app/server.js', line: 20, package: null })
    expect(site.stack[0]).toBe('set (native)')
  })

  it("skips Node's own modules too (Buffer.alloc's frames)", () => {
    const site = one([
      handle,
      ['keepBuffer', APP, 30],
      ['alloc', 'node:buffer', 391],
      ['createUnsafeBuffer', 'node:internal/buffer', 1056],
    ])
    expect(site).toMatchObject({ fn: 'keepBuffer', line: 30 })
    expect(site.stack).toEqual([
      'createUnsafeBuffer (node:internal/buffer:1056)',
      'alloc (node:buffer:391)',
      'keepBuffer (/srv/app/server.js:30)',
      'handle (/srv/app/server.js:10)',
    ])
  })

  it('keeps a frame with no code above it as it is', () => {
    expect(one([['(V8 API)', '']])).toMatchObject({
      fn: '(V8 API)',
      file: '',
      line: 0,
      package: null,
      stack: ['(V8 API) (native)'],
    })
  })

  it('names the package of a node_modules path: scoped, nested, pnpm, a plain CommonJS path', () => {
    expect(one([handle, ['connect', PKG, 12]]).package).toBe('@acme/db')
    expect(one([handle, ['f', 'file:///srv/app/node_modules/a/node_modules/b/index.js', 1]]).package).toBe('b')
    expect(
      one([handle, ['query', 'file:///srv/app/node_modules/.pnpm/pg@8.11.0/node_modules/pg/lib/client.js', 7]]).package,
    ).toBe('pg')
    expect(one([handle, ['set', '/srv/app/node_modules/lru-cache/dist/commonjs/index.js', 900]])).toMatchObject({
      package: 'lru-cache',
      file: '/srv/app/node_modules/lru-cache/dist/commonjs/index.js',
    })
  })

  it('attributes a package frame to the package, with the application frame that called it in the stack', () => {
    const site = one([handle, ['connect', PKG, 12], ['push', '']])
    expect(site).toMatchObject({
      fn: 'connect',
      package: '@acme/db',
      file: '/srv/app/node_modules/@acme/db/lib/client.js',
    })
    expect(site.stack).toEqual([
      'push (native)',
      'connect (/srv/app/node_modules/@acme/db/lib/client.js:12)',
      'handle (/srv/app/server.js:10)',
    ])
  })
})

describe('compareHeapProfiles: a heap that stopped growing', () => {
  it('judges sites on the intervals in which the heap grew (shedding stopped the leak half-way)', () => {
    const { sites, intervals } = compareHeapProfiles(
      series(
        [
          { stack: [handle, ['leak', APP, 20]], bytes: [1000, 3000, 3000, 3000] },
          // Grew only while the heap did not: not what made the heap grow.
          { stack: [handle, ['later', APP, 30]], bytes: [1000, 1000, 1500, 2000] },
        ],
        [10_000, 11_000, 11_000, 10_900],
      ),
    )
    expect(intervals).toEqual({ counted: 1, total: 3 })
    expect(sites.map((s) => [s.fn, s.bytesPerSecond])).toEqual([['leak', 2000]])
  })

  it('counts every interval when the heap grew in none (a Buffer leak grows the heap by its small JS objects only)', () => {
    const { sites, intervals } = compareHeapProfiles(
      series([{ stack: [handle, ['keepBuffer', APP, 30]], bytes: [1000, 2000, 3000] }], [5000, 5000, 5000]),
    )
    expect(intervals).toEqual({ counted: 2, total: 2 })
    expect(sites.map((s) => s.fn)).toEqual(['keepBuffer'])
  })
})

describe('compareHeapProfiles: limits and input', () => {
  it('keeps the fastest maxSites sites; explained counts every site that grew', () => {
    const { sites, explained } = compareHeapProfiles(
      series(
        [1, 2, 3].map((n) => ({ stack: [handle, [`site${n}`, APP, n]] as Frame[], bytes: [0, n * 1000, n * 2000] })),
        [0, 6000, 12000],
      ),
      { maxSites: 2 },
    )
    expect(sites.map((s) => s.fn)).toEqual(['site3', 'site2'])
    expect(explained).toBeCloseTo(1, 6)
  })

  it('needs two profiles to say anything', () => {
    const [first] = series([{ stack: [handle], bytes: [10] }])
    expect(compareHeapProfiles([first!])).toEqual({ sites: [], explained: 0, intervals: { counted: 0, total: 0 } })
    expect(compareHeapProfiles([])).toEqual({ sites: [], explained: 0, intervals: { counted: 0, total: 0 } })
  })

  it('rejects what is not a series of profiles, naming the argument', () => {
    expect(() => compareHeapProfiles('x' as never)).toThrow(
      new TypeError('compareHeapProfiles: argument `profiles` must be an array, got "x" (string)'),
    )
    expect(() => compareHeapProfiles([{ at: 1, profile: {} } as never])).toThrow(
      'compareHeapProfiles: `profiles[0].profile` must be a heap profile { head, samples }, got an object',
    )
    expect(() =>
      compareHeapProfiles([{ profile: series([{ stack: [handle], bytes: [1] }])[0]!.profile } as never]),
    ).toThrow(TypeError)
    expect(() => compareHeapProfiles([], { maxSites: -1 })).toThrow(RangeError)
    expect(() => compareHeapProfiles([], { sites: 2 } as never)).toThrow(
      'compareHeapProfiles: unknown option `sites` (known: maxSites)',
    )
  })
})
