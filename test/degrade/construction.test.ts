// A controller built while memory is already under pressure: everything starts at that level.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as heapguard from '../../src/index.js'
import { createController, type Controller } from '../../src/index.js'
import { gcSeam } from '../support/drive.js'
import { scriptedSource } from '../support/sources.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  delete (globalThis as { gc?: unknown }).gc
})

/** A started controller (timer, GC seam) on a flat fake source. */
function underPressure(ratio: number, options: Parameters<typeof createController>[0] = {}) {
  const seam = gcSeam()
  const source = scriptedSource('fake', ratio)
  const pressure = createController({
    sources: [source],
    now: () => 0,
    subscribeGc: seam.subscribeGc,
    logger: {},
    ...options,
  })
  return { pressure, seam, source }
}

describe('createController() under pressure', () => {
  it('has caches, flags, admission, limits and tasks at the sampled level as soon as it returns', () => {
    const { pressure } = underPressure(0.9, { shed: { concurrency: { critical: 8 } } })
    expect(pressure.level).toBe('critical')
    // admission and the concurrency limit of 'critical'
    expect(pressure.shed.admit('low')).toBe(false)
    expect(pressure.shed.admit('normal')).toBe(true)
    expect(pressure.shed.stats()).toMatchObject({ level: 'critical', limit: 8 })
    // flags and tasks declared now start from the level
    expect(pressure.features.flag('ai', { offAt: 'critical' }).enabled).toBe(false)
    expect(pressure.features.flag('extras', { offAt: 'emergency' }).enabled).toBe(true)
    expect(pressure.tasks.every('cleanup', 1000, () => {}).paused).toBe(true)
    // caches get the level's multiplier; created under pressure, they hold nothing until it is over
    const users = pressure.caches.lru<string, number>('users', { max: 100 })
    expect(users.stats().multiplier).toBe(0.5)
    users.set('a', 1)
    expect(users.size).toBe(0)
    expect(pressure.limits.scale({ normal: 100, critical: 20 }).value).toBe(20)
    // and everything follows the way back down
    pressure.force('normal')
    expect(pressure.shed.admit('low')).toBe(true)
    expect(pressure.features.enabled('ai')).toBe(true)
    expect(users.stats().multiplier).toBe(1)
    pressure.close()
  })

  it('emergency.gc: a controller built at that level already schedules the collection', async () => {
    const gc = vi.fn()
    ;(globalThis as { gc?: unknown }).gc = gc
    const { pressure } = underPressure(0.99, { emergency: { gc: true } })
    expect(pressure.level).toBe('emergency')
    expect(gc).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(0)
    expect(gc).toHaveBeenCalledTimes(1)
    pressure.close()
  })

  it('bad subsystem options throw, and leave no timer or GC subscription running', () => {
    const seam = gcSeam()
    expect(() =>
      createController({
        sources: [scriptedSource('fake', 0.9)],
        subscribeGc: seam.subscribeGc,
        shed: { retryAfter: -1 },
      }),
    ).toThrow(/option `shed.retryAfter`/)
    expect(seam.unsubscribed).toBe(seam.subscribed)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('internals stay off the public surface', () => {
  it('flags expose no sync()/detach() in their type, the shedder no httpGuard(); the classes are not exported', () => {
    const pressure: Controller = createController({ autoStart: false, sources: [scriptedSource()] })
    const flag = pressure.features.flag('f')
    const listener = vi.fn()
    flag.on('change', listener)
    // The registry's own methods live on the implementing class; the public type (an interface) has none.
    // @ts-expect-error: not part of Flag
    expect(typeof flag.sync).toBe('function')
    // @ts-expect-error: not part of Flag
    expect(typeof flag.detach).toBe('function')
    expect('httpGuard' in pressure.shed).toBe(false)
    pressure.force('critical')
    expect(listener).toHaveBeenCalledTimes(1) // listeners still work
    for (const name of ['Shedder', 'FeatureFlags', 'TaskScheduler', 'Limits', 'Flag']) {
      expect(Object.hasOwn(heapguard, name)).toBe(false)
    }
    pressure.close()
  })
})
