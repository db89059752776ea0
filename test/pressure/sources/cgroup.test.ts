// cgroupSource() on fake cgroup trees (real files in a temporary directory, so the kept-open
// descriptors and positional reads are the real ones): v2 and v1 layouts, limits up the tree,
// events, pressure stall information, faults, and close().
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cgroupSource, createController, SourceError, type Source, type SourceContext } from '../../../src/index.js'
import { MiB } from '../../support/sources.js'

const trees: string[] = []
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fake filesystem: `files` maps paths (relative to a fresh temporary root) to contents. */
function tree(files: Record<string, string>) {
  const base = mkdtempSync(join(tmpdir(), 'heapguard-cgroup-'))
  trees.push(base)
  const write = (path: string, text: string) => {
    const full = join(base, path)
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, text)
  }
  for (const [path, text] of Object.entries(files)) write(path, text)
  return {
    base,
    paths: { root: join(base, 'sys/fs/cgroup'), proc: join(base, 'proc') },
    write,
    remove: (path: string) => rmSync(join(base, path), { recursive: true, force: true }),
    /** Descriptors this process holds open inside the tree. */
    openFds: () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(base)
        } catch {
          return false
        }
      }).length,
  }
}

const stat2 = (inactive: number) => `anon ${100 * MiB}\nfile ${50 * MiB}\ninactive_file ${inactive}\nactive_file 0\n`
const events2 = (c: Partial<Record<'high' | 'max' | 'oom' | 'oom_kill', number>> = {}) =>
  `low 0\nhigh ${c.high ?? 0}\nmax ${c.max ?? 0}\noom ${c.oom ?? 0}\noom_kill ${c.oom_kill ?? 0}\noom_group_kill 0\n`
const psi = (some: number, full = 0) =>
  `some avg10=${some.toFixed(2)} avg60=0.00 avg300=0.00 total=1\nfull avg10=${full.toFixed(2)} avg60=0.00 avg300=0.00 total=1\n`

/** A pod with a 512 MiB limit, its container cgroup without one. */
function v2Pod() {
  const pod = 'sys/fs/cgroup/kubepods/pod1'
  return tree({
    'proc/self/cgroup': '0::/kubepods/pod1/app\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
    [`${pod}/memory.current`]: `${300 * MiB}\n`,
    [`${pod}/memory.max`]: `${512 * MiB}\n`,
    [`${pod}/memory.high`]: 'max\n',
    [`${pod}/memory.stat`]: stat2(40 * MiB),
    [`${pod}/memory.events`]: events2(),
    [`${pod}/memory.pressure`]: psi(0),
    [`${pod}/app/memory.current`]: `${290 * MiB}\n`,
    [`${pod}/app/memory.max`]: 'max\n',
    [`${pod}/app/memory.high`]: 'max\n',
    [`${pod}/app/memory.stat`]: stat2(30 * MiB),
    'sys/fs/cgroup/kubepods/memory.current': `${900 * MiB}\n`,
    'sys/fs/cgroup/kubepods/memory.max': `${4096 * MiB}\n`,
  })
}

function context() {
  const errors: unknown[] = []
  const ctx: SourceContext & { t: number } = { t: 0, now: () => ctx.t, report: (e) => errors.push(e) }
  return { ctx, errors, messages: () => errors.map((e) => (e as Error).message) }
}

const poll = (source: Source, ctx: SourceContext) => source.poll!(ctx) ?? []

describe('cgroupSource(): cgroup v2', () => {
  it('reads the working set (usage less inactive file) of the cgroup with the smallest limit up the tree', () => {
    const t = v2Pod()
    const source = cgroupSource({ paths: t.paths })
    expect(source.name).toBe('cgroup')
    expect(source.read()).toEqual({ used: 260 * MiB, limit: 512 * MiB })
    source.close!()
  })

  it('takes memory.high when set and lower than memory.max', () => {
    const t = v2Pod()
    t.write('sys/fs/cgroup/kubepods/pod1/app/memory.high', `${400 * MiB}\n`)
    const source = cgroupSource({ paths: t.paths, name: 'container' })
    expect(source.name).toBe('container')
    expect(source.read()).toEqual({ used: 260 * MiB, limit: 400 * MiB })
    source.close!()
  })

  it('inside a container without its own cgroup namespace: the host path is not mounted, the mount root is the container', () => {
    const t = tree({
      'proc/self/cgroup': '0::/system.slice/docker-abc.scope\n',
      'sys/fs/cgroup/cgroup.controllers': 'memory\n',
      'sys/fs/cgroup/memory.current': `${100 * MiB}\n`,
      'sys/fs/cgroup/memory.max': `${256 * MiB}\n`,
      'sys/fs/cgroup/memory.stat': stat2(10 * MiB),
    })
    const source = cgroupSource({ paths: t.paths })
    expect(source.read()).toEqual({ used: 90 * MiB, limit: 256 * MiB })
    source.close!()
  })

  it('reads usage on every read, and inactive file pages and the limit on the slow poll', () => {
    const t = v2Pod()
    const { ctx } = context()
    const source = cgroupSource({ paths: t.paths })
    const pod = 'sys/fs/cgroup/kubepods/pod1'
    t.write(`${pod}/memory.current`, `${310 * MiB}\n`)
    t.write(`${pod}/memory.stat`, stat2(0))
    t.write(`${pod}/memory.max`, `${1024 * MiB}\n`)
    expect(source.read(ctx)).toEqual({ used: 270 * MiB, limit: 512 * MiB })
    poll(source, ctx)
    expect(source.read(ctx)).toEqual({ used: 310 * MiB, limit: 1024 * MiB })
    source.close!()
  })

  it('never reads a working set below zero', () => {
    const t = v2Pod()
    t.write('sys/fs/cgroup/kubepods/pod1/memory.stat', stat2(400 * MiB))
    const source = cgroupSource({ paths: t.paths })
    expect(source.read().used).toBe(0)
    source.close!()
  })

  it('memory.events: OOM kills and limit hits raise critical and are reported; memory.high throttling raises warning', () => {
    const t = v2Pod()
    const { ctx, messages } = context()
    const source = cgroupSource({ paths: t.paths })
    const events = 'sys/fs/cgroup/kubepods/pod1/memory.events'
    t.write(events, events2({ max: 7, oom_kill: 2 })) // history: the first poll takes a baseline
    expect(poll(source, ctx)).toEqual([])
    t.write(events, events2({ max: 7, oom_kill: 3 }))
    ctx.t = 1000
    expect(poll(source, ctx)).toEqual([
      {
        level: 'critical',
        signal: 'memory.events',
        reason: 'the cgroup ran out of memory (1 OOM kill(s) since the last poll)',
      },
    ])
    expect(messages()).toEqual([
      `heapguard: source "cgroup": memory events in the cgroup: oom_kill +1 (${t.paths.root}/kubepods/pod1)`,
    ])
    // Limit hits count only with the working set at 0.6 of the limit or above (else it is page cache being reclaimed).
    t.write(events, events2({ max: 9, oom_kill: 3, high: 4 }))
    ctx.t = 2000
    expect(poll(source, ctx)).toEqual([]) // working set 260 / 512 ≈ 0.51
    t.write('sys/fs/cgroup/kubepods/pod1/memory.current', `${400 * MiB}\n`) // 360 / 512 ≈ 0.70
    t.write(events, events2({ max: 12, oom_kill: 3, high: 6 }))
    ctx.t = 3000
    expect(poll(source, ctx)).toEqual([
      {
        level: 'critical',
        signal: 'memory.events',
        reason: "allocations hit the cgroup's limit 3 time(s) since the last poll, working set 70 %",
      },
      { level: 'warning', signal: 'memory.high', reason: 'the kernel throttles above memory.high, working set 70 %' },
    ])
    expect(messages()).toHaveLength(2)
    expect(messages()[1]).toMatch(/memory events in the cgroup: max \+3/)
    // Reports of one counter are at most a minute apart; what rose meanwhile is summed into the next.
    t.write(events, events2({ max: 14, oom_kill: 3 }))
    ctx.t = 4000
    expect(poll(source, ctx)).toHaveLength(1)
    expect(messages()).toHaveLength(2)
    t.write(events, events2({ max: 15, oom_kill: 3 }))
    ctx.t = 63_000
    poll(source, ctx)
    expect(messages()[2]).toMatch(/max \+3/)
    source.close!()
  })

  it('pressure stall information: some ≥ 10 % → warning; some ≥ 30 % or full ≥ 10 % → critical', () => {
    const t = v2Pod()
    const { ctx, errors } = context()
    const source = cgroupSource({ paths: t.paths })
    const file = 'sys/fs/cgroup/kubepods/pod1/memory.pressure'
    const levels = (some: number, full: number) => {
      t.write(file, psi(some, full))
      return poll(source, ctx)
        .filter((f) => f.signal === 'psi')
        .map((f) => f.level)
    }
    expect(levels(9.99, 0)).toEqual([])
    expect(levels(10, 0)).toEqual(['warning'])
    expect(levels(29, 9)).toEqual(['warning'])
    expect(levels(30, 0)).toEqual(['critical'])
    expect(levels(12, 10)).toEqual(['critical'])
    t.write(file, psi(12.5, 1))
    expect(poll(source, ctx)).toEqual([
      { level: 'warning', signal: 'psi', reason: 'tasks waited for memory 12.5 % of the last 10 s (all of them 1 %)' },
    ])
    expect(errors).toEqual([])
    source.close!()
  })

  it('events: false and psi: false read neither', () => {
    const t = v2Pod()
    const { ctx } = context()
    const source = cgroupSource({ paths: t.paths, events: false, psi: false })
    t.write('sys/fs/cgroup/kubepods/pod1/memory.pressure', psi(90, 90))
    poll(source, ctx)
    t.write('sys/fs/cgroup/kubepods/pod1/memory.events', events2({ oom_kill: 5 }))
    expect(poll(source, ctx)).toEqual([])
    source.close!()
  })
})

describe('cgroupSource(): cgroup v1', () => {
  function v1Job() {
    const job = 'sys/fs/cgroup/memory/batch/job'
    return tree({
      'proc/self/cgroup': '5:cpu,cpuacct:/x\n4:memory:/batch/job\n0::/\n',
      'sys/fs/cgroup/memory/memory.usage_in_bytes': `${8000 * MiB}\n`,
      'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      'sys/fs/cgroup/memory/batch/memory.usage_in_bytes': `${700 * MiB}\n`,
      'sys/fs/cgroup/memory/batch/memory.limit_in_bytes': `${1024 * MiB}\n`,
      [`${job}/memory.usage_in_bytes`]: `${600 * MiB}\n`,
      [`${job}/memory.limit_in_bytes`]: `${768 * MiB}\n`,
      [`${job}/memory.stat`]: `cache 1\ninactive_file 5\nhierarchical_memory_limit ${768 * MiB}\ntotal_inactive_file ${100 * MiB}\n`,
      [`${job}/memory.failcnt`]: '0\n',
      [`${job}/memory.oom_control`]: 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
      'proc/pressure/memory': psi(0),
    })
  }

  it('reads memory.usage_in_bytes less total_inactive_file against the smallest memory.limit_in_bytes', () => {
    const t = v1Job()
    const source = cgroupSource({ paths: t.paths })
    expect(source.read()).toEqual({ used: 500 * MiB, limit: 768 * MiB })
    source.close!()
  })

  it('a cgroup without a limit of its own takes the limit found under its own paths (hierarchical_memory_limit), not the host’s', () => {
    const t = tree({
      'proc/self/cgroup': '4:memory:/app\n',
      'sys/fs/cgroup/memory/app/memory.usage_in_bytes': `${100 * MiB}\n`,
      'sys/fs/cgroup/memory/app/memory.limit_in_bytes': '9223372036854771712\n',
      'sys/fs/cgroup/memory/app/memory.stat': `total_inactive_file 0\nhierarchical_memory_limit ${256 * MiB}\n`,
    })
    const source = cgroupSource({ paths: t.paths })
    expect(source.read()).toEqual({ used: 100 * MiB, limit: 256 * MiB })
    source.close!()
  })

  it('memory.failcnt (with a high working set) and memory.oom_control raise critical; PSI from /proc/pressure/memory', () => {
    const t = v1Job()
    const { ctx, messages } = context()
    const source = cgroupSource({ paths: t.paths })
    const job = 'sys/fs/cgroup/memory/batch/job'
    expect(poll(source, ctx)).toEqual([])
    t.write(`${job}/memory.failcnt`, '4\n') // working set 500 / 768 ≈ 0.65
    t.write('proc/pressure/memory', psi(11))
    ctx.t = 1000
    expect(poll(source, ctx).map((f) => [f.signal, f.level])).toEqual([
      ['memory.events', 'critical'],
      ['psi', 'warning'],
    ])
    t.write(`${job}/memory.oom_control`, 'oom_kill_disable 1\nunder_oom 1\noom_kill 0\n')
    ctx.t = 2000
    expect(poll(source, ctx)).toMatchObject([
      { level: 'critical', reason: /ran out of memory \(0 OOM kill/ },
      { signal: 'psi' },
    ])
    t.write(`${job}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n')
    ctx.t = 3000
    expect(poll(source, ctx)[0]).toMatchObject({ reason: /2 OOM kill/ })
    expect(messages().join('\n')).toMatch(/max \+4[\s\S]*oom_kill \+2/)
    source.close!()
  })

  it('a kernel without the oom_kill line still reads under_oom', () => {
    const t = v1Job()
    const { ctx, errors } = context()
    t.write('sys/fs/cgroup/memory/batch/job/memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\n')
    const source = cgroupSource({ paths: t.paths })
    expect(poll(source, ctx)).toEqual([])
    expect(errors).toEqual([])
    source.close!()
  })
})

describe('cgroupSource(): faults never throw from a sample', () => {
  it('no cgroup at all: this process’s RSS against the detected limit, reported once', () => {
    const t = tree({ 'proc/self/cgroup': '0::/\n' })
    const { ctx, errors } = context()
    const source = cgroupSource({ paths: t.paths, limit: 64 * 1024 * MiB })
    const a = source.read(ctx)
    source.read(ctx)
    expect(a.limit).toBe(64 * 1024 * MiB)
    expect(a.used).toBeGreaterThan(10 * MiB)
    expect(a.used).toBeLessThan(process.memoryUsage.rss() * 2)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(SourceError)
    expect((errors[0] as SourceError).source).toBe('cgroup')
    expect((errors[0] as Error).message).toBe(
      `heapguard: source "cgroup": no cgroup memory controller found under ${t.paths.root}; reading this process's RSS instead`,
    )
    expect(poll(source, ctx)).toEqual([])
    source.close!()
  })

  it('an unreadable usage file falls back to RSS (reported once) and is opened again once it is back', () => {
    const t = v2Pod()
    const { ctx, messages } = context()
    const usage = 'sys/fs/cgroup/kubepods/pod1/memory.current'
    const source = cgroupSource({ paths: t.paths })
    t.remove(usage)
    mkdirSync(join(t.base, usage)) // a read now fails (EISDIR), as on a removed cgroup (ENODEV)
    expect(source.read(ctx).used).toBeLessThan(process.memoryUsage.rss() * 2)
    source.read(ctx)
    expect(messages()).toEqual([
      expect.stringMatching(
        /^heapguard: source "cgroup": cannot read .*memory\.current \(EISDIR.*\); reading this process's RSS instead$/,
      ),
    ])
    t.remove(usage)
    t.write(usage, `${500 * MiB}\n`)
    expect(source.read(ctx)).toEqual({ used: 460 * MiB, limit: 512 * MiB })
    source.close!()
  })

  it('garbage in usage, memory.stat, memory.events or PSI: each kind reported once, the rest goes on', () => {
    const t = v2Pod()
    const { ctx, messages } = context()
    const pod = 'sys/fs/cgroup/kubepods/pod1'
    const source = cgroupSource({ paths: t.paths })
    t.write(`${pod}/memory.current`, 'banana\n')
    t.write(`${pod}/memory.stat`, 'anon 5\n')
    t.write(`${pod}/memory.events`, 'low 0\n')
    t.write(`${pod}/memory.pressure`, 'what\n')
    for (let i = 0; i < 3; i++) {
      ctx.t = i * 1000
      expect(poll(source, ctx)).toEqual([])
      expect(source.read(ctx).used).toBeGreaterThan(0)
    }
    expect(messages()).toEqual([
      expect.stringMatching(/memory\.stat has no inactive_file line; counting usage with its page cache$/),
      expect.stringMatching(/memory\.current holds no number: "banana\\n"; reading this process's RSS instead$/),
      expect.stringMatching(
        /cannot read the cgroup's memory events \(.*memory\.events has no `high` line\); no floors from them$/,
      ),
      expect.stringMatching(
        /memory\.pressure is not pressure stall information: "what\\n"; no floors from stall information$/,
      ),
    ])
    // Truncated to nothing: still garbage, already reported.
    t.write(`${pod}/memory.current`, '')
    expect(source.read(ctx).used).toBeGreaterThan(0)
    expect(messages()).toHaveLength(4)
    t.write(`${pod}/memory.current`, `${300 * MiB}\n`)
    t.write(`${pod}/memory.stat`, stat2(40 * MiB))
    poll(source, ctx)
    expect(source.read(ctx)).toEqual({ used: 260 * MiB, limit: 512 * MiB })
    source.close!()
  })

  it('absent PSI is not an error', () => {
    const t = v2Pod()
    t.remove('sys/fs/cgroup/kubepods/pod1/memory.pressure')
    const { ctx, errors } = context()
    const source = cgroupSource({ paths: t.paths })
    expect(poll(source, ctx)).toEqual([])
    expect(errors).toEqual([])
    source.close!()
  })

  it('a cgroup that goes away is found afresh on the next slow poll (a container that migrated)', () => {
    const t = v2Pod()
    const { ctx, messages } = context()
    const source = cgroupSource({ paths: t.paths })
    expect(source.read(ctx).limit).toBe(512 * MiB)
    t.remove('sys/fs/cgroup/kubepods')
    poll(source, ctx)
    expect(source.read(ctx).used).toBeLessThan(process.memoryUsage.rss() * 2)
    expect(messages()).toEqual([expect.stringMatching(/no cgroup memory controller found/)])
    t.write('proc/self/cgroup', '0::/moved\n')
    t.write('sys/fs/cgroup/moved/memory.current', `${100 * MiB}\n`)
    t.write('sys/fs/cgroup/moved/memory.max', `${200 * MiB}\n`)
    t.write('sys/fs/cgroup/moved/memory.stat', stat2(0))
    poll(source, ctx)
    expect(source.read(ctx)).toEqual({ used: 100 * MiB, limit: 200 * MiB })
    source.close!()
  })

  it('outside a controller, a fault is a process warning instead', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const t = tree({ 'proc/self/cgroup': '0::/\n' })
    const source = cgroupSource({ paths: t.paths, name: 'lonely', limit: 1024 * MiB })
    source.read()
    source.read()
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('source "lonely"'))).toHaveLength(1)
    expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'HEAPGUARD_SOURCE_FAULT' })
    warn.mockRestore()
    source.close!()
  })
})

describe('cgroupSource(): descriptors and the controller', () => {
  it('keeps its files open between reads and closes them all on close(); a later read opens them again', () => {
    const t = v2Pod()
    const { ctx } = context()
    const source = cgroupSource({ paths: t.paths })
    source.read(ctx)
    poll(source, ctx)
    expect(t.openFds()).toBe(4) // memory.current, memory.stat, memory.events, memory.pressure
    source.read(ctx)
    expect(t.openFds()).toBe(4)
    source.close!()
    expect(t.openFds()).toBe(0)
    expect(source.read(ctx).used).toBe(260 * MiB)
    source.close!()
    expect(t.openFds()).toBe(0)
  })

  it('in a controller: its floors raise the level, its faults go to "error", close() releases the files', () => {
    const t = v2Pod()
    const clock = { t: 0 }
    const pressure = createController({
      sources: [cgroupSource({ paths: t.paths })],
      autoStart: false,
      now: () => clock.t,
      logger: { warn() {}, error() {} },
    })
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    expect(pressure.sample().sources.cgroup).toEqual({ used: 260 * MiB, limit: 512 * MiB, ratio: 260 / 512 })
    expect(pressure.level).toBe('normal')
    t.write('sys/fs/cgroup/kubepods/pod1/memory.events', events2({ oom_kill: 1 }))
    clock.t = 1000
    pressure.sample()
    expect(pressure.level).toBe('critical')
    expect(pressure.floors()).toMatchObject([{ from: 'cgroup', signal: 'memory.events', level: 'critical' }])
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/oom_kill \+1/)])
    pressure.close()
    expect(t.openFds()).toBe(0)
  })
})

describe('cgroupSource(options): validation', () => {
  const W = 'cgroupSource: '
  it.each([
    [{ nmae: 'x' }, TypeError, `${W}unknown option \`nmae\` (known: name, limit, events, psi, paths)`],
    [{ name: '' }, TypeError, `${W}option \`name\` must be a non-empty string, got "" (string)`],
    [{ limit: 0 }, RangeError, `${W}option \`limit\` must be a finite number > 0, got 0 (number)`],
    [{ limit: '1' }, TypeError, `${W}option \`limit\` must be a finite number > 0, got "1" (string)`],
    [{ events: 1 }, TypeError, `${W}option \`events\` must be a boolean, got 1 (number)`],
    [{ psi: 'yes' }, TypeError, `${W}option \`psi\` must be a boolean, got "yes" (string)`],
    [{ paths: '/sys' }, TypeError, `${W}option \`paths\` must be an object, got "/sys" (string)`],
    [{ paths: { root: '' } }, TypeError, `${W}option \`paths.root\` must be a non-empty string, got "" (string)`],
    [{ paths: { sys: '/' } }, TypeError, `${W}unknown key in option \`paths\` \`sys\` (known: root, proc)`],
  ])('%o throws %s', (options, type, message) => {
    expect(() => cgroupSource(options as never)).toThrow(new type(message))
  })
})
