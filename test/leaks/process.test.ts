// Real processes: planted leaks of several shapes, a Buffer leak, and a Node without the inspector.
// The fixtures import the BUILT library (dist/). Bounds are generous and nothing is timed: the
// machine running this may be loaded.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { Profile } from 'pprof-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HeapProfile, LeakReport, LeakSite } from '../../src/index.js'
import { toPprof } from '../../src/pprof.js'
import { fixturePath, requireBuild, runFixture } from '../support/fixture-process.js'

let packageRoot = ''

beforeAll(() => {
  requireBuild()
  // The planted package needs a node_modules path, which git does not keep: it is laid out here.
  packageRoot = mkdtempSync(join(tmpdir(), 'heapguard-leaks-'))
  const dir = join(packageRoot, 'node_modules', '@acme', 'telemetry')
  mkdirSync(dir, { recursive: true })
  copyFileSync(fixturePath('leaks/telemetry-package.mjs'), join(dir, 'index.mjs'))
})

afterAll(() => {
  if (packageRoot !== '') rmSync(packageRoot, { recursive: true, force: true })
})

/** The planted leaks, by the function that makes each, fastest first (8 : 4 : 2 : 1 by bytes). */
const PLANTED = ['openClientPerRequest', 'onQueryEvent', 'rememberSession', 'recordSpan'] as const

/** A site belongs to a planted leak when its stack passes through that leak's function (V8 may have inlined it). */
function leakOf(site: LeakSite): string | undefined {
  return PLANTED.find((fn) => site.fn === fn || site.stack.some((frame) => frame.startsWith(`${fn} (`)))
}

describe('a process with planted leaks', () => {
  let report: LeakReport
  let profile: HeapProfile
  let text = ''

  it('ranks the leaks by rate, names the package, leaves out the bounded cache and the garbage', async () => {
    const r = await runFixture('leaks/planted.mjs', { args: [packageRoot, 'heap', '8000'], timeoutMs: 90_000 })
    expect(r.timedOut, `the child was still running after 90 s; stderr: ${r.stderr}`).toBe(false)
    expect(r.code, r.stderr).toBe(0)
    expect(r.lines.filter((l) => l.event === 'error')).toEqual([])
    const line = r.event('report')!
    report = line.report as LeakReport
    profile = line.profile as HeapProfile
    text = line.text as string

    expect(report.checkpoints, text).toBe(4)
    expect(report.grows, text).toBe('heap')
    // Rates per planted leak: the sum of its sites (a client is two: the object and its pool's slots).
    const rates = new Map<string, number>()
    for (const site of report.sites) {
      const leak = leakOf(site)
      if (leak !== undefined) rates.set(leak, (rates.get(leak) ?? 0) + site.bytesPerSecond)
    }
    expect([...rates.keys()].sort(), text).toEqual([...PLANTED].sort())
    const ranked = [...rates.entries()].sort((a, b) => b[1] - a[1]).map(([leak]) => leak)
    expect(ranked, text).toEqual([...PLANTED])
    // The package's leak is named by its package; the application's have none.
    const span = report.sites.find((s) => s.fn === 'recordSpan')
    expect(span, text).toMatchObject({ package: '@acme/telemetry' })
    expect(span!.file).toMatch(/[\\/]node_modules[\\/]@acme[\\/]telemetry[\\/]index\.mjs$/)
    for (const site of report.sites.filter((s) => leakOf(s) !== 'recordSpan' && leakOf(s) !== undefined))
      expect(site.package, text).toBeNull()
    // The bounded cache (and lru-cache under it) and the garbage are not sites.
    for (const site of report.sites) {
      expect(site.stack.join(' '), text).not.toMatch(/churnCache|renderGarbage/)
      expect(site.package, text).not.toBe('lru-cache')
    }
    expect(report.explained, text).toBeGreaterThanOrEqual(0.5)
    // Nothing besides the planted leaks accounts for much.
    const other = report.sites.filter((s) => leakOf(s) === undefined).reduce((sum, s) => sum + s.share, 0)
    expect(other, text).toBeLessThan(0.2)
    // The watched collections grew at every checkpoint.
    expect(report.watched.map((w) => [w.name, w.grew])).toEqual([
      ['sessions', true],
      ['queryEvents', true],
    ])
    // Each site is one line of the text, fastest first.
    expect(text.split('\n')[1]).toMatch(/^ {2}#1 \+[\d.]+ (KiB|MiB)\/s \(\d+ %\) /)
    expect(text).toMatch(
      /recordSpan {2}.*node_modules[\\/]@acme[\\/]telemetry[\\/]index\.mjs:\d+ {2}\[@acme\/telemetry\]/,
    )

    // The sampler was stopped after the window: a second window started one again.
    expect(r.event('second')).toMatchObject({ checkpoints: 2, stats: { running: false, reports: { capture: 2 } } })
  }, 120_000)

  it('gives a .heapprofile that Chrome DevTools reads, and pprof that decodes to the same bytes', async () => {
    expect(profile, 'the first test ran').toBeDefined()
    const ids = new Set<number>()
    const visit = (node: HeapProfile['head']) => {
      ids.add(node.id)
      expect(node.callFrame).toEqual({
        functionName: expect.any(String),
        scriptId: expect.any(String),
        url: expect.any(String),
        lineNumber: expect.any(Number),
        columnNumber: expect.any(Number),
      })
      node.children.forEach(visit)
    }
    visit(profile.head)
    expect(profile.samples.length).toBeGreaterThan(10)
    for (const sample of profile.samples) expect(ids.has(sample.nodeId)).toBe(true)

    const decoded = Profile.decode(gunzipSync(await toPprof(profile, { intervalBytes: 32 * 1024 })))
    const strings = decoded.stringTable.strings
    expect(decoded.sampleType.map((t) => `${strings[Number(t.type)]}/${strings[Number(t.unit)]}`)).toEqual([
      'samples/count',
      'space/bytes',
    ])
    expect(Number(decoded.period)).toBe(32 * 1024)
    const bytes = decoded.sample.reduce((sum, s) => sum + Number(s.value[1]), 0)
    expect(bytes).toBe(profile.samples.reduce((sum, s) => sum + s.size, 0))
    const count = decoded.sample.reduce((sum, s) => sum + Number(s.value[0]), 0)
    expect(count).toBe(profile.samples.length)
    expect(strings).toContain('recordSpan')
  })
})

describe('a Buffer leak', () => {
  it('reads as external, with the site that keeps the Buffers', async () => {
    const r = await runFixture('leaks/planted.mjs', { args: [packageRoot, 'buffers', '6000'], timeoutMs: 90_000 })
    expect(r.code, r.stderr).toBe(0)
    const report = r.event('report')!.report as LeakReport
    const text = r.event('report')!.text as string
    expect(report.grows, text).toBe('external')
    expect(report.growth.external, text).toBeGreaterThan(10 * report.growth.heap)
    expect(
      report.sites.some((s) => s.fn === 'keepBuffer' || s.stack.some((f) => f.startsWith('keepBuffer ('))),
      text,
    ).toBe(true)
  }, 120_000)
})

describe('a Node without the inspector', () => {
  it('capture() rejects with a clear error; automatic windows report once and stop trying', async () => {
    const r = await runFixture('leaks/no-inspector.mjs', {
      nodeArgs: ['--import', fixturePath('leaks/deny-inspector.mjs'), '--expose-gc'],
      timeoutMs: 60_000,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.event('capture')).toEqual({
      event: 'capture',
      name: 'LeakCaptureError',
      reason: 'inspector',
      code: 'HEAPGUARD_LEAK_CAPTURE',
      message:
        "heapguard: leaks.capture(): node:inspector is not available in this Node.js build (Inspector is not available); heapguard needs it for V8's sampling heap profiler",
    })
    const done = r.event('done')!
    // The heap leaked at `warning` with a rising floor the whole time: one attempt, one report.
    expect(done.level).toBe('warning')
    expect((done.trend as { msToLimit: number | null }).msToLimit).not.toBeNull()
    expect(done.errors).toEqual([
      "heapguard: leaks.capture(): node:inspector is not available in this Node.js build (Inspector is not available); heapguard needs it for V8's sampling heap profiler. Automatic leak windows stop trying",
    ])
    expect(done.stats).toMatchObject({
      running: false,
      autoStopped: expect.stringMatching(/node:inspector is not available/),
    })
  }, 90_000)
})
