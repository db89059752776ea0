// Real-process test: a child under --max-old-space-size=96 runs a tide of concurrent 20 MiB jobs
// through shed.run({ bytes }). The fixture imports the BUILT library (`npm test` builds it).
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuild, runFixture } from '../../support/fixture-process.js'

beforeAll(requireBuild)

describe('a real process with a small heap and a tide of 20 MiB jobs', () => {
  it('never dies with `bytes`: it runs the jobs that fit and refuses the others before they allocate', async () => {
    const r = await runFixture('reserve-jobs.mjs', { nodeArgs: ['--max-old-space-size=96'], timeoutMs: 60_000 })
    expect(r.timedOut, `the child was still running after 60 s; stderr: ${r.stderr}`).toBe(false)
    expect(r.code, r.stderr).toBe(0)
    const done = r.lines.find((l) => l.event === 'done')!
    expect(done).toMatchObject({ withBytes: true, jobs: 150, other: [], reservedAfter: 0, errors: [] })
    expect(done.done as number).toBeGreaterThanOrEqual(1)
    expect(done.refused as number).toBeGreaterThanOrEqual(1)
    expect((done.done as number) + (done.refused as number)).toBe(150)
    // Every refusal was a memory refusal: the reservations, not the level, turned them away.
    expect(done.refusedByReason).toMatchObject({ memory: done.refused, level: 0 })
    expect(done.peakUsedMiB as number).toBeLessThan(96)
  }, 90_000)

  it('dies of out-of-memory without `bytes`: the same jobs start together, before any sample can see them', async () => {
    const r = await runFixture('reserve-jobs.mjs', {
      nodeArgs: ['--max-old-space-size=96'],
      args: ['--no-bytes'],
      timeoutMs: 60_000,
    })
    expect(r.timedOut).toBe(false)
    expect(r.code === 0 && r.signal === null, 'the process survived').toBe(false)
    expect(r.stderr).toMatch(/heap out of memory/)
  }, 90_000)
})
