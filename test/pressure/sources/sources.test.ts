import v8 from 'node:v8'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readdirSync, readlinkSync } from 'node:fs'
import os from 'node:os'
import {
  defaultSources,
  detectMemoryLimit,
  externalSource,
  heapSource,
  rssSource,
  usableHeapLimit,
} from '../../../src/index.js'
import { MiB } from '../../support/sources.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('usableHeapLimit(heapSizeLimit, execArgv, nodeOptions, workerOldGenerationMb)', () => {
  // heap_size_limit values measured on Node 20 (old generation + 3 × semi-space):
  const limit64 = 112 * MiB // --max-old-space-size=64
  const defaultLimit = 4144 * MiB // no flag, on a machine with ≥ 16 GiB

  it('is N MiB under --max-old-space-size=N, not heap_size_limit', () => {
    expect(usableHeapLimit(limit64, ['--max-old-space-size=64'], '', 0)).toBe(64 * MiB)
    expect(usableHeapLimit(176 * MiB, ['--max-old-space-size=128'], '', 0)).toBe(128 * MiB)
  })

  it('reads the underscore spelling too', () => {
    expect(usableHeapLimit(limit64, ['--max_old_space_size=64'], '', 0)).toBe(64 * MiB)
  })

  it('reads NODE_OPTIONS, with several space-separated flags and stray whitespace', () => {
    expect(
      usableHeapLimit(144 * MiB, [], '  --enable-source-maps   --max-old-space-size=96\t--trace-warnings ', 0),
    ).toBe(96 * MiB)
  })

  it('lets the command line win over NODE_OPTIONS, and the last occurrence win within one list', () => {
    expect(usableHeapLimit(limit64, ['--max-old-space-size=64'], '--max_old_space_size=96', 0)).toBe(64 * MiB)
    expect(usableHeapLimit(144 * MiB, ['--max_old_space_size=96'], '--max-old-space-size=64', 0)).toBe(96 * MiB)
    expect(usableHeapLimit(144 * MiB, ['--max-old-space-size=64', '--max-old-space-size=96'], '', 0)).toBe(96 * MiB)
    expect(usableHeapLimit(144 * MiB, [], '--max-old-space-size=64 --max-old-space-size=96', 0)).toBe(96 * MiB)
  })

  it('ignores the space-separated form, which Node refuses to start with', () => {
    expect(usableHeapLimit(defaultLimit, ['--max-old-space-size', '64'], '--max-old-space-size 64', 0)).toBe(4096 * MiB)
  })

  it('ignores values that are not positive numbers', () => {
    for (const bad of [
      '--max-old-space-size=',
      '--max-old-space-size=abc',
      '--max-old-space-size=0',
      '--max-old-space-size=-64',
    ]) {
      expect(usableHeapLimit(defaultLimit, [bad], '', 0)).toBe(4096 * MiB)
    }
  })

  it('without the flag, is heap_size_limit less three 16 MiB semi-spaces', () => {
    expect(usableHeapLimit(defaultLimit, [], '', 0)).toBe(4096 * MiB)
  })

  it('derives the young reserve from --max-semi-space-size', () => {
    expect(usableHeapLimit(4108 * MiB, ['--max-semi-space-size=4'], '', 0)).toBe(4096 * MiB)
    expect(usableHeapLimit(4288 * MiB, [], '--max_semi_space_size=64', 0)).toBe(4096 * MiB)
  })

  it('never exceeds heap_size_limit, and the derived rule never goes below half of it', () => {
    expect(usableHeapLimit(limit64, ['--max-old-space-size=9999'], '', 0)).toBe(limit64)
    expect(usableHeapLimit(64 * MiB, [], '', 0)).toBe(32 * MiB)
  })

  it('uses a worker’s maxOldGenerationSizeMb, but a process-wide flag wins', () => {
    expect(usableHeapLimit(96 * MiB, [], '', 48)).toBe(48 * MiB)
    expect(usableHeapLimit(304 * MiB, ['--max-old-space-size=256'], '', 48)).toBe(256 * MiB)
  })

  describe('--max-old-space-size-percentage=P (Node ≥ 22.20): P % of the available memory', () => {
    const GiB = 1024 * MiB
    const hsl = 16 * GiB

    it('takes P % of the given memory, in whole MiB, and wins over --max-old-space-size wherever that is', () => {
      expect(usableHeapLimit(hsl, ['--max-old-space-size-percentage=50'], '', 0, 8 * GiB)).toBe(4 * GiB)
      expect(usableHeapLimit(hsl, ['--max_old_space_size_percentage=25.5'], '', 0, 1000 * MiB)).toBe(255 * MiB)
      expect(
        usableHeapLimit(
          hsl,
          ['--max-old-space-size=3000', '--max-old-space-size-percentage=25'],
          '--max-old-space-size=2000',
          0,
          8 * GiB,
        ),
      ).toBe(2 * GiB)
      expect(usableHeapLimit(hsl, [], '--max-old-space-size-percentage=75', 0, 4 * GiB)).toBe(3 * GiB)
    })

    it('reads the space-separated form (a Node option, not a V8 flag), and the last occurrence wins', () => {
      expect(usableHeapLimit(hsl, ['--max-old-space-size-percentage', '50'], '', 0, 8 * GiB)).toBe(4 * GiB)
      expect(
        usableHeapLimit(hsl, ['--max-old-space-size-percentage=10'], '--max-old-space-size-percentage=90', 0, 10 * GiB),
      ).toBe(1 * GiB)
    })

    it('ignores values Node refuses (0, above 100, not a number) and never exceeds heap_size_limit', () => {
      for (const bad of ['0', '101', '-1', 'abc', '1%', '']) {
        expect(usableHeapLimit(hsl, [`--max-old-space-size-percentage=${bad}`], '', 0, 8 * GiB)).toBe(hsl - 48 * MiB)
      }
      expect(usableHeapLimit(2 * GiB, ['--max-old-space-size-percentage=100'], '', 0, 8 * GiB)).toBe(2 * GiB)
    })

    it('by default takes its share of the constrained memory when there is one, else of total memory', () => {
      const constrained = process.constrainedMemory?.() ?? 0
      const memory = constrained > 0 && constrained < 2 ** 60 ? constrained : os.totalmem()
      const expected = Math.floor((memory * 0.1) / MiB) * MiB
      expect(usableHeapLimit(2 ** 50, ['--max-old-space-size-percentage=10'], '', 0)).toBe(expected)
    })
  })

  it('defaults to this process: the same figure heapSource() uses', () => {
    const expected = usableHeapLimit(v8.getHeapStatistics().heap_size_limit)
    expect(heapSource().read().limit).toBe(expected)
    expect(expected).toBeLessThan(v8.getHeapStatistics().heap_size_limit)
  })
})

/** The heap's objects V8 counts against its limit, and the free pages of its old generation. */
function heapParts(): { objects: number; free: number } {
  let objects = 0
  let free = 0
  for (const s of v8.getHeapSpaceStatistics()) {
    const name = s.space_name
    if (name.startsWith('shared_') || name === 'read_only_space' || name === 'new_space') continue
    objects += s.space_used_size
    if (!name.endsWith('large_object_space')) free += s.space_size - s.space_used_size
  }
  return { objects, free }
}

describe('heapSource()', () => {
  it('reads the heap as V8 counts it (the old generation and large objects, not new space, at most its free pages on top) against the usable limit', () => {
    const source = heapSource()
    expect(source.name).toBe('heap')
    const before = heapParts()
    const { used, limit } = source.read()
    const after = heapParts()
    expect(used).toBeGreaterThanOrEqual(Math.min(before.objects, after.objects))
    expect(used).toBeLessThanOrEqual(Math.max(before.objects, after.objects) + Math.max(before.free, after.free))
    expect(limit).toBe(usableHeapLimit(v8.getHeapStatistics().heap_size_limit))
  })

  it('follows the heap as it grows: a retained large allocation counts at once, young garbage does not', () => {
    const source = heapSource()
    const before = source.read().used
    const held = new Array(2 * 1024 * 1024).fill(1.5) // 16 MiB of doubles: a large object
    const after = source.read().used
    expect(after - before).toBeGreaterThanOrEqual(16 * MiB)
    let garbage = 0
    for (let i = 0; i < 100_000; i++) garbage += { i, s: `short-lived ${i}` }.s.length // young, dead at once
    expect(source.read().used - after).toBeLessThan(4 * MiB)
    expect(held.length + garbage).toBeGreaterThan(0)
  })

  it('takes a name, a fixed limit, or flags that replace the process’s', () => {
    expect(heapSource({ name: 'worker-heap' }).name).toBe('worker-heap')
    expect(heapSource({ limit: 5000 }).read().limit).toBe(5000)
    expect(heapSource({ flags: { execArgv: ['--max-old-space-size=64'] } }).read().limit).toBe(64 * MiB)
    expect(heapSource({ flags: { nodeOptions: '--max-old-space-size=80' } }).read().limit).toBe(80 * MiB)
    expect(heapSource({ flags: { workerOldGenerationMb: 48 } }).read().limit).toBe(48 * MiB)
    const hsl = v8.getHeapStatistics().heap_size_limit
    expect(heapSource({ flags: {} }).read().limit).toBe(Math.max(hsl / 2, hsl - 48 * MiB))
  })
})

describe('defaultSources()', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  const inContainer = findsContainerLimit()

  it.skipIf(inContainer)('outside a container: the heap alone on a machine large for it, silently', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const limit = heapSource().read().limit
    vi.spyOn(os, 'totalmem').mockReturnValue(4 * limit)
    expect(defaultSources().map((s) => s.name)).toEqual(['heap'])
    expect(warn).not.toHaveBeenCalled()
  })

  it.skipIf(inContainer)(
    'outside a container on a machine small for the heap: RSS against total memory too, silently',
    () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
      const limit = heapSource().read().limit
      vi.spyOn(os, 'totalmem').mockReturnValue(4 * limit - 1)
      const sources = defaultSources()
      expect(sources.map((s) => s.name)).toEqual(['heap', 'rss'])
      expect(sources[1]!.read().limit).toBe(4 * limit - 1)
      expect(warn).not.toHaveBeenCalled()
      for (const s of sources) s.close?.()
    },
  )

  it.runIf(inContainer)('in a container with a memory limit: heap, RSS and the cgroup', () => {
    const sources = defaultSources()
    expect(sources.map((s) => s.name)).toEqual(['heap', 'rss', 'cgroup'])
    for (const s of sources) s.close?.()
  })
})

/** True when this process runs in a cgroup with a memory limit (as defaultSources() sees it). */
function findsContainerLimit(): boolean {
  const sources = defaultSources()
  for (const s of sources) s.close?.()
  return sources.some((s) => s.name === 'cgroup')
}

describe('rssSource()', () => {
  it('reads resident memory against a given limit', () => {
    const source = rssSource({ limit: 8 * 1024 * MiB, name: 'resident' })
    expect(source.name).toBe('resident')
    const { used, limit } = source.read()
    expect(limit).toBe(8 * 1024 * MiB)
    expect(used).toBeGreaterThan(10 * MiB)
    expect(used).toBeLessThanOrEqual(process.memoryUsage().rss * 2)
  })

  it('reads a kept-open /proc/self/statm on Linux: the figure process.memoryUsage.rss() gives, and close() releases it', () => {
    const statmFds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).endsWith('/statm')
        } catch {
          return false
        }
      }).length
    const before = statmFds()
    const source = rssSource({ limit: 64 * 1024 * MiB })
    const a = process.memoryUsage.rss()
    const { used } = source.read()
    const b = process.memoryUsage.rss()
    // Both read the kernel's resident-page counters (each with its own per-CPU slack, and the runner
    // may allocate between the reads): within 1 MiB, far below what a wrong page size would give.
    expect(used).toBeGreaterThan(Math.min(a, b) - 256 * 4096)
    expect(used).toBeLessThan(Math.max(a, b) + 256 * 4096)
    if (process.platform === 'linux') expect(statmFds()).toBe(before + 1)
    source.close!()
    expect(statmFds()).toBe(before)
    expect(source.read().used).toBeGreaterThan(0) // opened again
    source.close!()
  })

  it('detects the limit once, and warns once (with a code) when only total memory is known', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const detected = detectMemoryLimit()
    const a = rssSource()
    const b = rssSource()
    expect(a.read().limit).toBe(detected.bytes)
    expect(b.read().limit).toBe(detected.bytes)
    const codes = warn.mock.calls.map((call) => call[1]?.code)
    expect(codes.filter((c) => c === 'HEAPGUARD_NO_CONTAINER_LIMIT')).toHaveLength(
      detected.origin === 'totalmem' ? 1 : 0,
    )
  })
})

describe('detectMemoryLimit(): where the RSS limit comes from, in order', () => {
  const GiB = 1024 * MiB
  /** A fake filesystem: path → contents; any other path throws like a missing file. */
  const files = (map: Record<string, string>) => (path: string) => {
    const text = map[path]
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
    return text
  }
  const none = () => undefined
  const total = () => 64 * GiB

  it('1. process.constrainedMemory() when it gives a real limit', () => {
    const readFile = files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': `${2 * GiB}\n` })
    expect(detectMemoryLimit({ constrainedMemory: () => GiB, readFile, totalmem: total })).toEqual({
      bytes: GiB,
      origin: 'constrainedMemory',
    })
    // "no limit" as reported by Node 20 (2^64) or 0 falls through to the cgroup files
    expect(detectMemoryLimit({ constrainedMemory: () => 2 ** 64, readFile, totalmem: total })).toEqual({
      bytes: 2 * GiB,
      origin: 'cgroup-v2',
    })
    expect(detectMemoryLimit({ constrainedMemory: () => 0, readFile, totalmem: total }).origin).toBe('cgroup-v2')
  })

  it('2. cgroup v2: the smallest memory.max of the own cgroup and its ancestors', () => {
    const readFile = files({
      '/proc/self/cgroup': '0::/kubepods/pod1/app\n',
      '/sys/fs/cgroup/kubepods/pod1/app/memory.max': 'max\n',
      '/sys/fs/cgroup/kubepods/pod1/memory.max': `${512 * MiB}\n`,
      '/sys/fs/cgroup/kubepods/memory.max': `${4 * GiB}\n`,
    })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile, totalmem: total })).toEqual({
      bytes: 512 * MiB,
      origin: 'cgroup-v2',
    })
  })

  it('2. cgroup v2 inside a container: the host path is not mounted, the mount root is', () => {
    const readFile = files({ '/proc/self/cgroup': '0::/docker/abc123\n', '/sys/fs/cgroup/memory.max': `${GiB}\n` })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile, totalmem: total })).toEqual({
      bytes: GiB,
      origin: 'cgroup-v2',
    })
  })

  it('3. cgroup v1: hierarchical_memory_limit, which includes the ancestors’ limits', () => {
    const readFile = files({
      '/proc/self/cgroup': '5:cpu,cpuacct:/x\n4:memory:/docker/abc\n0::/\n',
      '/sys/fs/cgroup/memory.max': 'max',
      '/sys/fs/cgroup/memory/docker/abc/memory.stat': `cache 0\nhierarchical_memory_limit ${768 * MiB}\nhierarchical_memsw_limit 9223372036854771712\n`,
      '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '9223372036854771712\n',
    })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile, totalmem: total })).toEqual({
      bytes: 768 * MiB,
      origin: 'cgroup-v1',
    })
  })

  it('3. cgroup v1: memory.limit_in_bytes, own cgroup then the mount root', () => {
    const own = files({
      '/proc/self/cgroup': '4:memory:/a:b/c\n', // a path may hold ':'
      '/sys/fs/cgroup/memory/a:b/c/memory.limit_in_bytes': `${GiB}\n`,
    })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile: own, totalmem: total })).toEqual({
      bytes: GiB,
      origin: 'cgroup-v1',
    })
    const root = files({
      '/proc/self/cgroup': '4:memory:/docker/abc\n',
      '/sys/fs/cgroup/memory/memory.limit_in_bytes': `${3 * GiB}\n`,
    })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile: root, totalmem: total })).toEqual({
      bytes: 3 * GiB,
      origin: 'cgroup-v1',
    })
  })

  it('4. total system memory when no limit is set anywhere ("max", ~2^63, missing files)', () => {
    const readFile = files({
      '/proc/self/cgroup': '4:memory:/x\n0::/\n',
      '/sys/fs/cgroup/memory.max': 'max\n',
      '/sys/fs/cgroup/memory/x/memory.stat': 'hierarchical_memory_limit 9223372036854771712\n',
      '/sys/fs/cgroup/memory/x/memory.limit_in_bytes': '9223372036854771712\n',
    })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile, totalmem: total })).toEqual({
      bytes: 64 * GiB,
      origin: 'totalmem',
    })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile: files({}), totalmem: total })).toEqual({
      bytes: 64 * GiB,
      origin: 'totalmem',
    })
  })

  it('never gives more than total memory: a cgroup limit above the RAM there is does not make more of it', () => {
    const readFile = files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': `${128 * GiB}\n` })
    expect(detectMemoryLimit({ constrainedMemory: none, readFile, totalmem: total })).toEqual({
      bytes: 64 * GiB,
      origin: 'cgroup-v2',
    })
    expect(detectMemoryLimit({ constrainedMemory: () => 100 * GiB, readFile, totalmem: total })).toEqual({
      bytes: 64 * GiB,
      origin: 'constrainedMemory',
    })
  })

  it('on this machine, gives a positive limit with a known origin', () => {
    const { bytes, origin } = detectMemoryLimit()
    expect(bytes).toBeGreaterThan(0)
    expect(['constrainedMemory', 'cgroup-v2', 'cgroup-v1', 'totalmem']).toContain(origin)
  })
})

describe('externalSource({ limit })', () => {
  it('reads memory outside the heap (external, which includes every ArrayBuffer and Buffer) against the budget', () => {
    const source = externalSource({ limit: 40 * MiB })
    expect(source.name).toBe('external')
    const held = Buffer.alloc(8 * MiB, 1)
    const { used, limit } = source.read()
    const { external, arrayBuffers } = process.memoryUsage()
    expect(limit).toBe(40 * MiB)
    expect(used).toBeGreaterThanOrEqual(arrayBuffers)
    expect(Math.abs(used - external)).toBeLessThan(MiB)
    expect(held.length).toBe(8 * MiB)
    expect(externalSource({ name: 'prisma', limit: 1 }).name).toBe('prisma')
  })

  it.each([
    [undefined, TypeError, 'externalSource: option `limit` (the byte budget) is required, got undefined'],
    [{}, TypeError, 'externalSource: option `limit` (the byte budget) is required, got undefined'],
    [{ limit: -1 }, RangeError, 'externalSource: option `limit` must be a finite number > 0, got -1 (number)'],
    [{ limit: NaN }, RangeError, 'externalSource: option `limit` must be a finite number > 0, got NaN (number)'],
    [{ limit: 5, name: 7 }, TypeError, 'externalSource: option `name` must be a non-empty string, got 7 (number)'],
    [{ limit: 5, budget: 7 }, TypeError, 'externalSource: unknown option `budget` (known: name, limit)'],
  ])('%o throws %s', (options, type, message) => {
    expect(() => externalSource(options as never)).toThrow(new type(message))
  })
})
