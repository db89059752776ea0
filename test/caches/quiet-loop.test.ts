// Real-process tests: work heapguard defers to the next turn of the event loop (trim slices, the
// trim of a TanStack query cache, the emergency GC) must run in a process whose loop has nothing
// else to do, and the process must still exit by itself. In this test runner the loop is always
// busy, which hides the difference; a child process shows it. The fixture imports the BUILT
// library, dist/ (`npm test` builds it first; by hand: `npx tsup`).
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuild, runFixture, type FixtureRun } from '../support/fixture-process.js'

type Run = FixtureRun

/** Runs the fixture in one mode; it is killed after `timeoutMs` instead of hanging the suite. */
const run = (mode: string, nodeArgs: string[] = [], timeoutMs = 40_000) =>
  runFixture('caches-quiet-loop.mjs', { args: [mode], nodeArgs, timeoutMs })

/** A process that ran to its end by itself, with nothing on stderr. */
function expectClean(r: Run): void {
  expect(r.timedOut, `the child was still running after the deadline; stderr: ${r.stderr}`).toBe(false)
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  expect(r.event('exit')).toBeDefined()
}

beforeAll(requireBuild)

// The bounds are generous (this 2-core machine is shared); the failures they catch are of another
// order: with unref'd immediates the trim below ran one slice per 1 s poll (81,152 of 900,000
// entries evicted after 15 s), and the query trim and the GC waited ~8 s for a wake-up.
describe('deferred work in a quiet process', () => {
  it('a sliced trim of 1,000,000 entries finishes in a few seconds with only a 1 s poll running, then the process exits', async () => {
    const r = await run('trim')
    expectClean(r)
    expect(r.event('timeout'), JSON.stringify(r.lines)).toBeUndefined()
    const trimmed = r.event('trimmed')!
    expect(trimmed).toMatchObject({ size: 100_000, capacity: 100_000, evicted: 900_000 })
    expect(trimmed.ms).toBeLessThan(10_000)
    // Nothing was left holding the loop: the process ended right after the trim.
    expect(Number(r.event('exit')!.ms) - Number(trimmed.ms)).toBeLessThan(2_000)
  }, 60_000)

  it('with nothing else alive, the process stays only until the trim is done', async () => {
    const r = await run('alone')
    expectClean(r)
    expect(r.event('exit')).toMatchObject({ size: 100_000, capacity: 100_000, evicted: 900_000 })
    expect(r.event('exit')!.ms).toBeLessThan(10_000)
  }, 60_000)

  it('close() during a trim cancels the slices and the process exits at once', async () => {
    const r = await run('close')
    expectClean(r)
    const exit = r.event('exit')!
    expect(exit.evicted).toBeLessThan(900_000) // cancelled halfway…
    expect(exit.capacity).toBe(1_000_000) // …and released to its max
    expect(exit.ms).toBeLessThan(2_000)
  }, 60_000)

  it('a TanStack query cache over its bound is trimmed on the next turn', async () => {
    const r = await run('query')
    expectClean(r)
    expect(r.event('added')).toMatchObject({ size: 10, capacity: 5 })
    const trimmed = r.event('trimmed')!
    expect(trimmed).toMatchObject({ size: 5, capacity: 5 })
    expect(trimmed.ms).toBeLessThan(3_000)
  }, 60_000)

  it('the emergency GC runs on the next turn', async () => {
    const r = await run('gc', ['--expose-gc'])
    expectClean(r)
    expect(r.event('gc')!.ms).toBeLessThan(3_000)
  }, 60_000)
})
