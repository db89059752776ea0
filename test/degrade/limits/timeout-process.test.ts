// withTimeout in a real process with nothing else alive: a deadline on user work is bounded, so
// its timer keeps the process up until it fires (a stuck job must not exit 0 as if it succeeded),
// and it is cleared the moment the work settles (a settled deadline holds nothing).
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuild, runFixture } from '../../support/fixture-process.js'

beforeAll(requireBuild)
const run = (mode: string) => runFixture('degrade-deadline.mjs', { args: [mode], timeoutMs: 30_000 })

describe('withTimeout in a process with nothing else alive (issue 16)', () => {
  it('work that never settles is rejected with a TimeoutError after the deadline, not left to exit 0', async () => {
    const r = await run('bare')
    expect(r.timedOut).toBe(false)
    expect(r.event('rejected')).toMatchObject({ name: 'TimeoutError', code: 'HEAPGUARD_TIMEOUT' })
    expect(r.event('rejected')!.ms).toBeGreaterThanOrEqual(90)
    expect(r.code).toBe(1)
    expect(r.event('resolved')).toBeUndefined()
  })

  it('with no handler, the rejection is unhandled and the process exits non-zero', async () => {
    const r = await run('unhandled')
    expect(r.timedOut).toBe(false)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('TimeoutError')
  })

  it('shed.run around it rejects with the TimeoutError too', async () => {
    const r = await run('shed')
    expect(r.timedOut).toBe(false)
    expect(r.event('rejected')).toMatchObject({ name: 'TimeoutError', code: 'HEAPGUARD_TIMEOUT' })
    expect(r.code).toBe(1)
  })

  it('a deadline of a minute on work that settled is cleared: the process exits at once', async () => {
    const r = await run('settled')
    expect(r.timedOut).toBe(false)
    expect(r.event('resolved')).toEqual({ event: 'resolved', value: 'done' })
    expect(r.code).toBe(0)
    expect(r.event('exit')!.ms).toBeLessThan(10_000) // far below the 60 s deadline
  })
})
