import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format'
import { describe } from '../util/validate.js'
import { pathOf } from './frames.js'
import type { CallFrame, HeapProfile } from './profile.js'
import type { LeakReport } from './report.js'

const gzipAsync = promisify(gzip)

export interface PprofOptions {
  /** Default 524_288, or the report's: the sampler's mean bytes between samples (pprof's `period`). */
  intervalBytes?: number
}

/**
 * A leak report's last checkpoint (or any `.heapprofile`) as a gzipped pprof profile, for Pyroscope,
 * Grafana and `go tool pprof`: sample types `samples/count` and `space/bytes` (live bytes, scaled as
 * V8 estimates them), one location per frame, the allocating frame first.
 */
export async function toPprof(source: LeakReport | HeapProfile, options: PprofOptions = {}): Promise<Buffer> {
  const report = isReport(source) ? source : undefined
  const profile = report?.heapProfile() ?? checkProfile(source)
  const period = options.intervalBytes ?? report?.intervalBytes ?? 512 * 1024
  const strings = new StringTable()
  const functions = new Map<string, PprofFunction>()
  const locations = new Map<string, Location>()

  const functionOf = (frame: CallFrame): PprofFunction => {
    const file = pathOf(frame.url)
    const key = `${file}\0${frame.functionName}`
    let fn = functions.get(key)
    if (fn === undefined) {
      const name = strings.dedup(frame.functionName === '' ? '(anonymous)' : frame.functionName)
      fn = new PprofFunction({ id: functions.size + 1, name, systemName: name, filename: strings.dedup(file) })
      functions.set(key, fn)
    }
    return fn
  }
  const locationOf = (frame: CallFrame): Location => {
    const key = `${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}\0${frame.functionName}`
    let location = locations.get(key)
    if (location === undefined) {
      const line = new Line({ functionId: functionOf(frame).id, line: Math.max(0, frame.lineNumber + 1) })
      location = new Location({ id: locations.size + 1, line: [line] })
      locations.set(key, location)
    }
    return location
  }

  // Samples per node: how many, and their bytes.
  const perNode = new Map<number, { count: number; bytes: number }>()
  for (const s of profile.samples ?? []) {
    const entry = perNode.get(s.nodeId) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += s.size
    perNode.set(s.nodeId, entry)
  }
  const samples: Sample[] = []
  const walk = (node: HeapProfile['head'], stack: number[]): void => {
    const here = [locationOf(node.callFrame).id as number, ...stack]
    const own = perNode.get(node.id) ?? (node.selfSize > 0 ? { count: 1, bytes: node.selfSize } : undefined)
    if (own !== undefined && own.bytes > 0)
      samples.push(new Sample({ locationId: here, value: [own.count, own.bytes] }))
    for (const child of node.children ?? []) walk(child, here)
  }
  for (const child of profile.head.children ?? []) walk(child, [])

  const space = new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') })
  const encoded = new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }), space],
    sample: samples,
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    periodType: space,
    period,
    timeNanos: report !== undefined && report.at > 1e12 ? BigInt(Math.round(report.at)) * 1_000_000n : 0,
    durationNanos: report !== undefined ? BigInt(Math.round(report.durationMs)) * 1_000_000n : 0,
    defaultSampleType: strings.dedup('space'),
  }).encode()
  return gzipAsync(encoded)
}

function isReport(value: unknown): value is LeakReport {
  return typeof (value as Partial<LeakReport> | null)?.heapProfile === 'function'
}

function checkProfile(value: unknown): HeapProfile {
  const p = value as Partial<HeapProfile> | null
  if (typeof p !== 'object' || p === null || typeof p.head !== 'object' || p.head === null) {
    throw new TypeError(
      `toPprof: argument \`source\` must be a leak report or a heap profile { head, samples }, got ${describe(value)}`,
    )
  }
  return p as HeapProfile
}
