// The estimator against real heap growth, in a child process with --expose-gc (forced full GCs
// before and after allocating many copies of a shape). The figures per shape are in BENCHMARKS.md
// (bench/estimate-accuracy.bench.mjs); this pins the target: within ±25 % for strings, Buffers and
// plain objects. The measurement is deterministic to a few per cent (large counts, full GCs), far
// inside the margin; the failure it catches is of another order (one-byte strings counted at two
// bytes a character were +100 %).
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuild, runFixture } from '../support/fixture-process.js'

beforeAll(requireBuild)

describe('estimateSize against the real heap', () => {
  it('is within ±25 % of the heap growth for strings, Buffers and plain objects (full walk and per-set walk)', async () => {
    const r = await runFixture('caches-estimate-accuracy.mjs', { nodeArgs: ['--expose-gc'], timeoutMs: 120_000 })
    expect(r.code, r.stderr).toBe(0)
    const shapes = r.lines.filter((l) => l.event === 'shape') as unknown as {
      name: string
      real: number
      walk: number
      perSet: number
    }[]
    expect(shapes.length).toBeGreaterThanOrEqual(10)
    const off = shapes.flatMap(({ name, real, walk, perSet }) =>
      [
        ['walk', walk],
        ['per set', perSet],
      ]
        .filter(([, estimate]) => Math.abs((estimate as number) - real) / real > 0.25)
        .map(
          ([kind, estimate]) =>
            `${name} (${kind}): estimated ${Math.round(estimate as number)} B, real ${Math.round(real)} B`,
        ),
    )
    expect(off).toEqual([])
  })
})
