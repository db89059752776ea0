import { describe, expect, it } from 'vitest'
import type { LevelChange } from '../../src/index.js'
import { drive } from '../support/drive.js'

/** A controller with a flag, a cache of 100 entries, and an empty shed config; driven by hand. */
function setup() {
  const driven = drive()
  const { pressure } = driven
  const flag = pressure.features.flag('recommendations', { offAt: 'critical' })
  const cache = pressure.caches.lru<number, number>('items', { max: 100 })
  for (let i = 0; i < 100; i++) cache.set(i, i)
  const scaled = pressure.limits.scale({ normal: 100, critical: 20 })
  return { ...driven, flag, cache, scaled }
}

/** What the code right after a force() sees, everywhere the level reaches. */
function view({ pressure, flag, cache, scaled }: ReturnType<typeof setup>) {
  return {
    level: pressure.level,
    flag: flag.enabled,
    admitNormal: pressure.shed.admit('normal'),
    admitCritical: pressure.shed.admit('critical'),
    shedLevel: pressure.shed.stats().level,
    capacity: cache.capacity,
    scaled: scaled.value,
  }
}

const EMERGENCY = {
  level: 'emergency',
  flag: false,
  admitNormal: false,
  admitCritical: true,
  shedLevel: 'emergency',
  capacity: 10,
  scaled: 20,
}

describe('force() from inside a listener is seen everywhere at once', () => {
  it("inside a 'sample' listener: caches, flags, admission and limits follow before force() returns", () => {
    const s = setup()
    let seen: ReturnType<typeof view> | undefined
    s.pressure.on('sample', () => {
      if (seen !== undefined) return
      s.pressure.force('emergency')
      seen = view(s)
    })
    s.feed(0.1)
    expect(seen).toEqual(EMERGENCY)
    s.pressure.close()
  })

  it("inside a 'level' listener: the same, while later listeners still get the changes in order", () => {
    const s = setup()
    let seen: ReturnType<typeof view> | undefined
    s.pressure.on('level', (c) => {
      if (c.to !== 'warning') return
      s.pressure.force('emergency')
      seen = view(s)
    })
    s.feed(0.75)
    expect(seen).toEqual(EMERGENCY)
    expect(s.changes.map((c) => [c.from, c.to])).toEqual([
      ['normal', 'warning'],
      ['warning', 'emergency'],
    ])
    s.pressure.close()
  })

  it('inside an onLevel hook: the same, and hooks and listeners still see crossings in order', () => {
    const s = setup()
    const order: string[] = []
    let seen: ReturnType<typeof view> | undefined
    s.pressure.onLevel('warning', (c) => {
      order.push(`enter warning ${c.from}->${c.to}`)
      if (c.forced) return
      s.pressure.force('emergency')
      seen = view(s)
    })
    s.pressure.onLevel('critical', (c) => void order.push(`enter critical ${c.from}->${c.to}`))
    s.pressure.on('level', (c) => void order.push(`level ${c.from}->${c.to}`))
    s.feed(0.75)
    expect(seen).toEqual(EMERGENCY)
    expect(order).toEqual([
      'enter warning normal->warning',
      'level normal->warning',
      'enter critical warning->emergency',
      'level warning->emergency',
    ])
    s.pressure.close()
  })

  it('release() inside a listener is seen at once too', () => {
    const s = setup()
    s.pressure.force('emergency')
    let seen: ReturnType<typeof view> | undefined
    s.pressure.on('sample', () => {
      s.pressure.release()
      seen = view(s)
    })
    s.feed(0.1)
    expect(seen).toMatchObject({ level: 'normal', flag: true, admitNormal: true, shedLevel: 'normal', scaled: 100 })
    s.pressure.close()
  })
})

describe('level changes made from a flag listener (inside the change itself)', () => {
  it('apply at once and are delivered after the change that caused them, each from = previous to', () => {
    const s = setup()
    const flagEvents: boolean[] = []
    s.flag.on('change', (c) => {
      flagEvents.push(c.enabled)
      if (!c.enabled) s.pressure.force('warning')
    })
    const tasks = s.pressure.tasks.every('t', 1000, () => {}, { pauseAt: 'critical' })
    s.pressure.force('critical')
    expect(s.pressure.level).toBe('warning')
    expect(flagEvents).toEqual([false, true])
    expect(s.flag.enabled).toBe(true)
    expect(tasks.paused).toBe(false)
    expect(s.pressure.shed.stats().level).toBe('warning')
    expect(s.pressure.shed.admit('low')).toBe(true)
    expect(s.changes.map((c: LevelChange) => [c.from, c.to])).toEqual([
      ['normal', 'critical'],
      ['critical', 'warning'],
    ])
    expect(s.errors).toEqual([])
    s.pressure.close()
  })

  it('a flag listener that keeps flipping the level is stopped with an error instead of overflowing the stack', () => {
    const s = setup()
    const flag = s.pressure.features.flag('flip', { offAt: 'warning' })
    flag.on('change', (c) => s.pressure.force(c.enabled ? 'emergency' : 'normal'))
    expect(() => s.pressure.force('emergency')).not.toThrow()
    expect(s.errors.map((e) => e.message)).toContain(
      'heapguard: force() called from level-change callbacks nested 100 deep (a flag listener that keeps changing the level?); ignored',
    )
    // Whatever level it stopped at, every subsystem agrees with it.
    const level = s.pressure.level
    expect(flag.enabled).toBe(level === 'normal')
    expect(s.pressure.shed.stats().level).toBe(level)
    expect(s.pressure.shed.admit('normal')).toBe(level !== 'emergency')
    // Every delivered change starts where the previous one ended.
    for (let i = 1; i < s.changes.length; i++) expect(s.changes[i]!.from).toBe(s.changes[i - 1]!.to)
    expect(s.changes.at(-1)!.to).toBe(level)
    s.pressure.close()
  })
})
