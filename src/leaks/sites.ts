import { frameText, type FrameResolver } from './frames.js'
import { walkProfile, type CallFrame, type HeapProfile } from './profile.js'

/** When a checkpoint was read (ms, a monotonic clock: only differences are used), and the heap's used bytes then. */
export interface CheckpointMark {
  t: number
  /** Right after the read, which forced a full GC: live bytes. */
  heap: number
}

/** One read of the profile inside a window. */
export interface ProfileCheckpoint extends CheckpointMark {
  profile: HeapProfile
}

/** An allocation site whose live bytes kept growing (see `LeakReport.sites`). */
export interface LeakSite {
  /** The function that allocated, or (when that was a builtin such as `Map.prototype.set`) the first application or package function above it. */
  fn: string
  /** Its file (a path; mapped through source maps where the process has them). */
  file: string
  /** 1-based. The line where the function starts: V8 records functions, not statements. */
  line: number
  /** The package the file belongs to (from its `node_modules` path, scope included), or null for the application's own code. */
  package: string | null
  /** How fast its live bytes grew over the window (while the heap grew). */
  bytesPerSecond: number
  /** Its live bytes at the last checkpoint, estimated from the samples. */
  liveBytes: number
  /** 0..1: its share of the heap's growth over the same time. */
  share: number
  /** A short stack, the allocating frame first and the outermost last: `fn (file:line)`, `push (native)`. */
  stack: string[]
}

export interface SiteFindings {
  /** Fastest first, at most `maxSites`. */
  sites: LeakSite[]
  /** 0..1: the share of the heap's growth that every site that grew (not only the kept ones) accounts for. */
  explained: number
  /** The intervals between checkpoints that counted (those in which the heap grew; all when it grew in none). */
  intervals: { counted: number; total: number }
}

export interface SiteOptions {
  resolver: FrameResolver
  maxSites: number
  stackDepth: number
  shortFile?: (file: string) => string
}

interface SiteRecord {
  /** Live bytes at each checkpoint (0 where the site had none). */
  bytes: number[]
  /** Live samples at each checkpoint: what the noise test counts. */
  samples: number[]
  /** The path of the site's biggest node at the latest checkpoint that has it (for the stack), leaf last. */
  path: CallFrame[]
  /** The index in `path` of the frame the bytes are attributed to. */
  attributed: number
  /** The checkpoint `path` comes from, and that node's bytes. */
  seenAt: number
  biggest: number
}

/** True for frames of code on disk (the application or a package), as opposed to builtins and Node's own modules. */
function isCode(frame: CallFrame): boolean {
  return frame.url !== '' && !frame.url.startsWith('node:')
}

/** The index of the frame a node's bytes are attributed to: the leaf, or the first code frame above a builtin leaf. */
function attributedIndex(path: readonly CallFrame[]): number {
  for (let i = path.length - 1; i >= 0; i--) if (isCode(path[i]!)) return i
  return path.length - 1
}

function siteKey(frame: CallFrame): string {
  return `${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}\0${frame.functionName}`
}

/**
 * Live bytes per allocation site at each checkpoint, taken one profile at a time so that a window
 * keeps only its newest profile. A site is a frame: the allocating one, or, when that is a builtin
 * or one of Node's modules, the first application or package frame above it. What the inspector
 * allocates to answer a read (under `node:inspector`) is the window's own and left out.
 */
export class SiteLedger {
  readonly #records = new Map<string, SiteRecord>()
  #count = 0

  /** Adds the next checkpoint's profile. */
  add(profile: HeapProfile): void {
    const k = this.#count++
    const samples = new Map<number, number>()
    for (const sample of profile.samples ?? []) samples.set(sample.nodeId, (samples.get(sample.nodeId) ?? 0) + 1)
    walkProfile(profile, (node, path) => {
      if (path[path.length - 1]!.url === 'node:inspector') return false
      if (!(node.selfSize > 0)) return true
      const attributed = attributedIndex(path)
      const key = siteKey(path[attributed]!)
      let record = this.#records.get(key)
      if (record === undefined) {
        record = { bytes: [], samples: [], path: [], attributed, seenAt: k, biggest: -1 }
        this.#records.set(key, record)
      }
      record.bytes[k] = (record.bytes[k] ?? 0) + node.selfSize
      record.samples[k] = (record.samples[k] ?? 0) + (samples.get(node.id) ?? 0)
      // The stack shown is that of the site's biggest node at the latest checkpoint that has it.
      if (record.seenAt !== k) {
        record.seenAt = k
        record.biggest = -1
      }
      if (node.selfSize > record.biggest) {
        record.biggest = node.selfSize
        record.path = [...path]
        record.attributed = attributed
      }
      return true
    })
  }

  /**
   * The sites whose bytes grew in every interval in which the heap itself grew. The first
   * checkpoint is the baseline: what is alive then (requests in flight, a cache's turnover since
   * the sampler started) is not growth. Intervals in which the heap did not grow (shedding stopped
   * the traffic that leaked) are left out, so a leak stopped half-way through a window is still
   * named; when the heap grew in none, every interval counts (a Buffer leak grows the heap by its
   * small JS objects only). `marks` are the checkpoints, as many as profiles were added.
   */
  findings(marks: readonly CheckpointMark[], options: SiteOptions): SiteFindings {
    const total = Math.max(0, Math.min(marks.length, this.#count) - 1)
    if (total === 0) return { sites: [], explained: 0, intervals: { counted: 0, total } }
    let counted: number[] = []
    for (let i = 0; i < total; i++) if (marks[i + 1]!.heap > marks[i]!.heap) counted.push(i)
    if (counted.length === 0) counted = Array.from({ length: total }, (_, i) => i)
    let heapGrowth = 0
    let seconds = 0
    for (const i of counted) {
      heapGrowth += marks[i + 1]!.heap - marks[i]!.heap
      seconds += (marks[i + 1]!.t - marks[i]!.t) / 1000
    }
    if (!(seconds > 0)) return { sites: [], explained: 0, intervals: { counted: counted.length, total } }
    const heapRate = heapGrowth / seconds
    const grown: { record: SiteRecord; rate: number }[] = []
    let grownTotal = 0
    for (const record of this.#records.values()) {
      let growth = 0
      let everyTime = true
      for (const i of counted) {
        const delta = (record.bytes[i + 1] ?? 0) - (record.bytes[i] ?? 0)
        if (!(delta > 0)) {
          everyTime = false
          break
        }
        growth += delta
      }
      if (!everyTime || !beyondNoise(record, counted)) continue
      const rate = growth / seconds
      grown.push({ record, rate })
      grownTotal += rate
    }
    grown.sort((a, b) => b.rate - a.rate)
    const sites = grown
      .slice(0, options.maxSites)
      .map(({ record, rate }) => toSite(record, rate, record.bytes[total] ?? 0, heapRate, options))
    const explained = heapRate > 0 ? Math.min(1, grownTotal / heapRate) : 0
    return { sites, explained, intervals: { counted: counted.length, total } }
  }
}

/**
 * How far above its sampling noise a site's growth must be, in standard deviations. A bounded
 * site (a cache at capacity, requests in flight) holds a random number of live samples, about
 * Poisson-distributed: between two reads its count moves by about √(2·n). Rising three times in a
 * row by chance happens (1 in 24 for independent values), rising this far beyond its noise does not.
 */
const NOISE_Z = 3

/**
 * True when the samples a site gained over the counted intervals are more than chance: at least
 * `NOISE_Z` × √(2·n), n the samples it held when they began. A leak gains n every interval (n is
 * what one interval adds), so one with 2 samples or more per interval passes in three intervals.
 */
function beyondNoise(record: SiteRecord, counted: readonly number[]): boolean {
  const start = record.samples[counted[0]!] ?? 0
  let gained = 0
  for (const i of counted) gained += (record.samples[i + 1] ?? 0) - (record.samples[i] ?? 0)
  return gained >= NOISE_Z * Math.sqrt(2 * Math.max(1, start))
}

/** The sites that grew over a series of profiles (see `SiteLedger.findings`). */
export function growingSites(checkpoints: readonly ProfileCheckpoint[], options: SiteOptions): SiteFindings {
  const ledger = new SiteLedger()
  for (const checkpoint of checkpoints) ledger.add(checkpoint.profile)
  return ledger.findings(checkpoints, options)
}

function toSite(record: SiteRecord, rate: number, live: number, heapRate: number, options: SiteOptions): LeakSite {
  const { resolver, stackDepth, shortFile } = options
  const frame = resolver.resolve(record.path[record.attributed]!)
  const stack = stackOf(record.path, record.attributed, stackDepth).map((f) =>
    frameText(resolver.resolve(f), shortFile),
  )
  return {
    fn: frame.fn,
    file: frame.file,
    line: frame.line,
    package: frame.package,
    bytesPerSecond: rate,
    liveBytes: live,
    share: heapRate > 0 ? Math.min(1, rate / heapRate) : 0,
    stack,
  }
}

/**
 * The frames a site's stack shows, allocating frame first: the leaf, the frames between it and the
 * attributed frame (the nearest ones when there are many builtin or Node frames), the attributed
 * frame, then its callers, `depth` frames in all.
 */
export function stackOf(path: readonly CallFrame[], attributed: number, depth: number): CallFrame[] {
  const leaf = path.length - 1
  const frames: CallFrame[] = [path[leaf]!]
  // Up to 3 frames just below the attributed one (builtins and Node internals it called through).
  for (let i = Math.max(attributed + 1, leaf - 3); i < leaf; i++) frames.splice(1, 0, path[i]!)
  if (attributed < leaf) frames.push(path[attributed]!)
  for (let i = attributed - 1; i >= 0 && frames.length < depth; i--) frames.push(path[i]!)
  return frames
}
