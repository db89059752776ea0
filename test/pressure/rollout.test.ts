import { describe, expect, it } from 'vitest'
import { createController, type ControllerOptions, type LevelChange } from '../../src/index.js'
import { fill } from '../caches/helpers.js'
import { scriptedSource } from '../support/sources.js'

// Contract §8: observe mode measures, emits every event and metric, and logs what it would do,
// but changes nothing; switching back to 'enforce' applies the current level at once.

/** A controller driven by hand with a logger that records its lines, and one of every subsystem. */
function rollout(options: ControllerOptions = {}) {
  const clock = { t: 0 }
  const source = scriptedSource()
  const lines: string[] = []
  const pressure = createController({
    sources: [source],
    autoStart: false,
    now: () => clock.t,
    logger: { info: (line: string) => void lines.push(line), warn: () => {}, error: () => {} },
    ...options,
  })
  const errors: Error[] = []
  const changes: LevelChange[] = []
  pressure.on('error', (e) => errors.push(e))
  pressure.on('level', (c) => changes.push(c))
  const cache = pressure.caches.lru<string, string>('users', { max: 1000 })
  fill(cache, 1000)
  const flag = pressure.features.flag('recommendations', { offAt: 'critical' })
  const task = pressure.tasks.every('reindex', 60_000, () => {}, { pauseAt: 'warning' })
  const hooks: LevelChange[] = []
  pressure.onLevel('critical', (change) => void hooks.push(change))
  const feed = (ratio: number, at = clock.t) => {
    clock.t = at
    source.ratio = ratio
    return pressure.sample()
  }
  /** The observe-mode lines logged since the last call. */
  const logged = () => lines.splice(0).filter((line) => line.startsWith('heapguard (observe mode)'))
  return { pressure, source, clock, lines, logged, errors, changes, cache, flag, task, hooks, feed }
}

describe("observe mode (createController({ mode: 'observe' }))", () => {
  it('measures and emits as usual, but every subsystem stays at normal', () => {
    const r = rollout({ mode: 'observe' })
    const { pressure, cache, flag, task } = r
    expect(pressure.mode).toBe('observe')
    r.feed(0.9) // critical
    expect(pressure.level).toBe('critical')
    expect(pressure.measuredLevel).toBe('critical')
    expect(pressure.appliedLevel).toBe('normal')
    expect(r.changes.map((c) => c.to)).toEqual(['critical'])
    expect(pressure.transitionCounts().critical).toBe(1)
    // Nothing changed:
    expect(cache.capacity).toBe(1000)
    expect(cache.size).toBe(1000)
    expect(pressure.shed.admit('low')).toBe(true)
    expect(pressure.shed.stats().refused.low).toBe(0)
    expect(flag.enabled).toBe(true)
    expect(pressure.features.enabled('recommendations')).toBe(true)
    expect(task.paused).toBe(false)
    expect(pressure.limits.scale({ normal: 100, critical: 10 }).value).toBe(100)
    expect(r.hooks).toEqual([])
    expect(r.errors).toEqual([])
    pressure.close()
  })

  it('logs each action it would take, once per transition', () => {
    const r = rollout({ mode: 'observe' })
    r.logged()
    r.feed(0.9) // normal → critical
    expect(r.logged()).toEqual([
      'heapguard (observe mode): normal -> critical: cache "users" would shrink from 1000 to 500 entries',
      "heapguard (observe mode): normal -> critical: priority 'low' would be refused",
      'heapguard (observe mode): normal -> critical: flag "recommendations" would switch off',
      'heapguard (observe mode): normal -> critical: task "reindex" would pause',
      "heapguard (observe mode): normal -> critical: onLevel('critical', { on: 'enter' }) hook would run",
    ])
    r.feed(0.9)
    r.feed(0.88)
    expect(r.logged()).toEqual([]) // no transition, nothing more
    r.feed(0.97) // critical → emergency: the reference stays what the cache held when pressure began
    expect(r.logged()).toEqual([
      'heapguard (observe mode): critical -> emergency: cache "users" would shrink from 500 to 100 entries',
      "heapguard (observe mode): critical -> emergency: priority 'high' would be refused",
      "heapguard (observe mode): critical -> emergency: priority 'normal' would be refused",
    ])
    r.pressure.release()
    r.pressure.force('normal')
    expect(r.logged()).toEqual([
      'heapguard (observe mode): emergency -> normal: cache "users" would grow back from 100 to 1000 entries over 30000 ms',
      "heapguard (observe mode): emergency -> normal: priority 'high' would be admitted again",
      "heapguard (observe mode): emergency -> normal: priority 'normal' would be admitted again",
      "heapguard (observe mode): emergency -> normal: priority 'low' would be admitted again",
      'heapguard (observe mode): emergency -> normal: flag "recommendations" would switch on',
      'heapguard (observe mode): emergency -> normal: task "reindex" would resume',
    ])
    expect(r.errors).toEqual([])
    r.pressure.close()
  })

  it('previews concurrency limits, byte budgets, disabled caches and the emergency GC', () => {
    const lines: string[] = []
    const pressure = createController({
      sources: [scriptedSource('fake', 0)],
      autoStart: false,
      mode: 'observe',
      shed: { concurrency: { critical: 8 } },
      emergency: { gc: 'critical' },
      logger: { info: (line: string) => void lines.push(line) },
    })
    const extras = pressure.caches.lru<string, string>('extras', { max: 10, priority: 'optional' })
    fill(extras, 10)
    const pages = pressure.caches.lru<string, string>('pages', {
      max: 100,
      maxSize: 1000,
      sizeCalculation: (v) => v.length,
    })
    fill(pages, 10, 'p', 'x'.repeat(10))
    const sessions = pressure.caches.lru<string, string>('sessions', { max: 1000, priority: 'essential' })
    fill(sessions, 10)
    pressure.configure({ cachePolicy: { critical: { essential: 1 } } })
    pressure.force('critical')
    const observed = lines.filter((line) => line.startsWith('heapguard (observe mode)'))
    expect(observed).toContain(
      'heapguard (observe mode): normal -> critical: cache "extras" would be disabled (0 entries, was 10)',
    )
    expect(observed).toContain(
      'heapguard (observe mode): normal -> critical: cache "pages" would shrink from 10 to 5 entries (capacity 100 -> 5; bytes 1000 -> 50)',
    )
    // A cache that holds less than it would be allowed evicts nothing: it would only stop growing.
    expect(observed).toContain(
      'heapguard (observe mode): normal -> critical: cache "sessions" would stop growing at 10 entries, evicting nothing (capacity 1000 -> 10)',
    )
    expect(observed).toContain('heapguard (observe mode): normal -> critical: concurrency would be limited to 8')
    expect(observed).toContain(
      'heapguard (observe mode): normal -> critical: a full garbage collection would run (emergency.gc)',
    )
    expect(extras.capacity).toBe(10)
    pressure.close()
  })

  it('a logger without `info` gets the lines on `warn`; a throwing logger changes nothing', () => {
    const warned: string[] = []
    const pressure = createController({
      sources: [scriptedSource('fake', 0)],
      autoStart: false,
      mode: 'observe',
      logger: { warn: (line: string) => void warned.push(line) },
    })
    pressure.caches.lru('c', { max: 10 })
    pressure.force('emergency')
    expect(warned).toContain("heapguard (observe mode): normal -> emergency: priority 'low' would be refused")
    const broken = createController({
      sources: [scriptedSource('fake', 0)],
      autoStart: false,
      mode: 'observe',
      logger: {
        info: () => {
          throw new Error('logger down')
        },
      },
    })
    broken.force('emergency')
    expect(broken.level).toBe('emergency')
    broken.mode = 'enforce'
    expect(broken.appliedLevel).toBe('emergency')
    pressure.close()
    broken.close()
  })

  it("a subsystem whose preview fails is reported on 'error'; the others are still logged", () => {
    const r = rollout({ mode: 'observe' })
    r.pressure.caches.register('broken', {
      resize: () => {},
      clear: () => {},
      stats: () => {
        throw new Error('stats down')
      },
    })
    r.logged()
    r.feed(0.9)
    expect(r.errors.map((e) => e.message)).toEqual(['stats down'])
    expect(r.logged()).toContain("heapguard (observe mode): normal -> critical: priority 'low' would be refused")
    r.pressure.close()
  })
})

describe('switching mode at run time (pressure.mode)', () => {
  it("switching to 'enforce' applies the current level at once, without a 'level' event", () => {
    const r = rollout({ mode: 'observe' })
    const { pressure, cache, flag, task } = r
    r.feed(0.9)
    r.changes.length = 0
    pressure.mode = 'enforce'
    expect(pressure.mode).toBe('enforce')
    expect(pressure.appliedLevel).toBe('critical')
    expect(cache.capacity).toBe(500)
    expect(cache.size).toBe(500)
    expect(pressure.shed.admit('low')).toBe(false)
    expect(flag.enabled).toBe(false)
    expect(task.paused).toBe(true)
    expect(pressure.limits.scale({ normal: 100, critical: 10 }).value).toBe(10)
    // Level hooks run for the crossing the switch applied; 'level' listeners did not see a change of level.
    expect(r.hooks.map((c) => [c.from, c.to])).toEqual([['normal', 'critical']])
    expect(r.changes).toEqual([])
    expect(r.lines).toContain('heapguard: mode observe -> enforce (subsystems now apply critical)')
    pressure.close()
  })

  it("switching to 'observe' releases enforcement: caches grow back, admission admits, flags on, tasks run", () => {
    const r = rollout()
    const { pressure, cache, flag, task } = r
    r.feed(0.9)
    expect(cache.capacity).toBe(500)
    const leaves: string[] = []
    pressure.onLevel('warning', (c) => void leaves.push(`${c.from}->${c.to}`), { on: 'leave' })
    pressure.mode = 'observe'
    expect(pressure.level).toBe('critical')
    expect(pressure.appliedLevel).toBe('normal')
    expect(pressure.shed.admit('low')).toBe(true)
    expect(flag.enabled).toBe(true)
    expect(task.paused).toBe(false)
    expect(leaves).toEqual(['critical->normal'])
    // Released like any return to normal: gradually, over regrowMs.
    expect(cache.capacity).toBe(500)
    r.feed(0.9, 30_000)
    expect(cache.capacity).toBe(1000)
    // Switching to the mode in force changes nothing.
    pressure.mode = 'observe'
    expect(leaves).toHaveLength(1)
    pressure.close()
  })

  it('the same mode twice, or a switch at normal, runs no hooks', () => {
    const r = rollout()
    const resized: number[] = []
    r.pressure.caches.register('spy', {
      resize: (m) => void resized.push(m),
      clear: () => {},
      stats: () => r.cache.stats(),
    })
    resized.length = 0
    r.pressure.mode = 'enforce'
    r.pressure.mode = 'observe'
    r.pressure.mode = 'enforce'
    expect(resized).toEqual([])
    expect(r.hooks).toEqual([])
    r.pressure.close()
  })

  it('rejects anything but the two strings, naming the value, and keeps the mode', () => {
    const r = rollout()
    const p = r.pressure as { mode: unknown }
    expect(() => (p.mode = 'dry-run')).toThrow(
      new RangeError(`pressure.mode: the value must be one of 'enforce', 'observe', got "dry-run" (string)`),
    )
    expect(() => (p.mode = 1)).toThrow(TypeError)
    expect(() => (p.mode = undefined)).toThrow(TypeError)
    expect(r.pressure.mode).toBe('enforce')
    expect(() => rollout({ mode: 'Observe' as never })).toThrow(
      new RangeError(`createController: option \`mode\` must be one of 'enforce', 'observe', got "Observe" (string)`),
    )
    r.pressure.close()
  })

  it("is safe from a 'level' listener and from a flag listener: state and events stay in order", () => {
    const r = rollout({ mode: 'observe' })
    const seen: string[] = []
    r.pressure.on('level', (change) => {
      seen.push(`level ${change.from}->${change.to} applied ${r.pressure.appliedLevel}`)
      if (change.to === 'critical') r.pressure.mode = 'enforce'
      seen.push(`after switch: capacity ${r.cache.capacity}, flag ${r.flag.enabled}`)
    })
    r.flag.on('change', ({ enabled }) => {
      seen.push(`flag ${enabled}`)
      if (!enabled) r.pressure.mode = 'observe' // flips back from inside the state hooks
    })
    r.feed(0.9)
    expect(seen).toEqual([
      'level normal->critical applied normal',
      'flag false',
      'flag true',
      'after switch: capacity 500, flag true',
    ])
    expect(r.pressure.mode).toBe('observe')
    expect(r.pressure.appliedLevel).toBe('normal')
    expect(r.flag.enabled).toBe(true)
    expect(r.pressure.shed.admit('low')).toBe(true)
    expect(r.errors).toEqual([])
    r.pressure.close()
  })

  it('is safe during a sliced trim: the trim retargets to the applied level and converges', async () => {
    const { pressure, feed } = rollout()
    const big = pressure.caches.lru<number, number>('big', { max: 300_000 })
    for (let i = 0; i < 300_000; i++) big.set(i, i)
    feed(0.9) // critical: 150,000 to evict, in slices
    expect(big.capacity).toBe(150_000)
    expect(big.size).toBeGreaterThan(150_000)
    pressure.mode = 'observe' // mid-trim: capacity follows the applied level (normal, regrowing from 150,000)
    expect(big.capacity).toBe(150_000)
    feed(0.9, 30_000)
    expect(big.capacity).toBe(300_000)
    pressure.mode = 'enforce' // and back, still mid-trim or not: the reference is what it holds now
    const held = big.size
    expect(big.capacity).toBe(Math.floor(held / 2))
    for (let i = 0; i < 1000 && big.size > big.capacity; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(big.size).toBe(big.capacity)
    pressure.close()
  })

  it('switching after close() records the mode and changes nothing else', () => {
    const r = rollout()
    r.feed(0.9)
    r.pressure.close()
    r.pressure.mode = 'observe'
    expect(r.pressure.mode).toBe('observe')
  })
})
