import { messageOf } from '../util/validate.js'
import { FrameResolver } from './frames.js'
import { growthBetween, growsMost, NO_GROWTH, type MemoryReading } from './growth.js'
import type { LeakHost } from './host.js'
import { copyProfile } from './profile.js'
import { Report, shortFile, type LeakReport, type LeakTrigger } from './report.js'
import { HeapSampler } from './sampler.js'
import { SiteLedger, type CheckpointMark } from './sites.js'
import type { HeapProfile } from './profile.js'
import { watchedGrowth, type WatchedCollections } from './watch.js'

/** What a window does: how long, how many reads, the sampler's interval, the pause it may cost. */
export interface WindowPlan {
  durationMs: number
  checkpoints: number
  intervalBytes: number
  maxPauseMs: number
  trigger: LeakTrigger
  /** A `capture()` the caller awaits keeps the process alive until it ends; an automatic window never does. */
  keepAlive: boolean
}

export interface WindowDeps {
  host: LeakHost
  watched: WatchedCollections
}

/** Sites a report keeps, and frames per site's stack. */
const MAX_SITES = 20
const STACK_DEPTH = 8

/** One checkpoint: when, the memory then, and the watched sizes; `read` when the profile was read. */
interface Mark {
  t: number
  memory: MemoryReading | null
  watched: Map<string, number | null>
}

/**
 * One window: the sampler runs from its start to its end; at each checkpoint (evenly spaced, the
 * last at the end) the profile is read, which forces a full GC, unless that GC is predicted to
 * pause longer than `maxPauseMs`; then the report is built from the reads. The timers' callbacks
 * never throw: any failure ends the window with what it has, or rejects `done` when nothing could
 * be started.
 */
export class LeakWindow {
  readonly plan: Readonly<WindowPlan>
  /** Settles once: the report, or the reason no window could be opened. */
  readonly done: Promise<LeakReport>
  readonly #deps: WindowDeps
  readonly #at: number
  /** The checkpoints whose profile was read, with the memory then; only the newest profile is kept. */
  readonly #reads: (CheckpointMark & { memory: MemoryReading })[] = []
  readonly #ledger = new SiteLedger()
  #lastProfile: HeapProfile | undefined
  readonly #marks: Mark[] = []
  readonly #notes: string[] = []
  #resolve!: (report: LeakReport) => void
  #reject!: (error: unknown) => void
  #sampler: HeapSampler | undefined
  #timer: NodeJS.Timeout | undefined
  #t0 = 0
  #skipped = 0
  #pauseMs = 0
  #finished = false

  constructor(plan: WindowPlan, deps: WindowDeps) {
    this.plan = Object.freeze({ ...plan })
    this.#deps = deps
    this.#at = deps.host.now()
    this.done = new Promise<LeakReport>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    void this.#start()
  }

  get finished(): boolean {
    return this.#finished
  }

  /** Ends the window now (the controller closes): stops the sampler and settles `done` with what was read, noting `why`. */
  close(why: string): void {
    if (this.#finished) return
    this.#notes.push(why)
    this.#finish()
  }

  async #start(): Promise<void> {
    let sampler: HeapSampler
    try {
      sampler = await HeapSampler.start(this.plan.intervalBytes)
    } catch (error) {
      if (this.#finished) return
      this.#finished = true
      this.#reject(error)
      return
    }
    if (this.#finished) {
      // Closed while the sampler was starting: it must not outlive the window.
      sampler.stop()
      return
    }
    this.#sampler = sampler
    this.#t0 = performance.now()
    this.#schedule(1)
  }

  #schedule(k: number): void {
    const step = this.plan.durationMs / this.plan.checkpoints
    const delay = Math.max(0, this.#t0 + k * step - performance.now())
    this.#timer = setTimeout(() => void this.#checkpoint(k), delay)
    if (!this.plan.keepAlive) this.#timer.unref()
  }

  async #checkpoint(k: number): Promise<void> {
    this.#timer = undefined
    if (this.#finished) return
    try {
      await this.#take(k)
    } catch (error) {
      this.#notes.push(`checkpoint ${k} failed (${messageOf(error)}); the window ended there`)
      this.#deps.host.report(
        new Error(`heapguard: leaks: checkpoint ${k} of a window failed: ${messageOf(error)}`, { cause: error }),
      )
      this.#finish()
      return
    }
    if (this.#finished) return
    if (k < this.plan.checkpoints) this.#schedule(k + 1)
    else this.#finish()
  }

  async #take(k: number): Promise<void> {
    const { host, watched } = this.#deps
    const before = host.memory()
    const predicted = host.fullGcs.predict(before.heap)
    if (predicted > this.plan.maxPauseMs) {
      this.#skipped++
      this.#notes.push(
        `checkpoint ${k} skipped: its full GC was expected to pause about ${Math.round(predicted)} ms (maxPauseMs ${this.plan.maxPauseMs})`,
      )
      this.#marks.push({ t: performance.now(), memory: before, watched: watched.read() })
      return
    }
    const started = performance.now()
    const profile = await this.#sampler!.read()
    const t = performance.now()
    const pause = t - started
    // Right after the forced GC: the heap reading is live bytes.
    const memory = host.memory()
    host.fullGcs.record(pause, memory.heap)
    this.#pauseMs = Math.max(this.#pauseMs, pause)
    this.#ledger.add(profile)
    this.#lastProfile = profile
    this.#reads.push({ t, heap: memory.heap, memory })
    this.#marks.push({ t, memory, watched: watched.read() })
  }

  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#sampler?.stop()
    try {
      this.#resolve(this.#report())
    } catch (error) {
      this.#reject(error)
    }
  }

  #report(): Report {
    const reads = this.#reads
    const resolver = new FrameResolver()
    const findings = this.#ledger.findings(reads, { resolver, maxSites: MAX_SITES, stackDepth: STACK_DEPTH, shortFile })
    const notes = this.#notes
    if (reads.length < 2) {
      notes.push(
        `${reads.length} checkpoint${reads.length === 1 ? ' was' : 's were'} read: at least 2 are needed to see what grows`,
      )
    } else if (findings.intervals.counted < findings.intervals.total && findings.intervals.counted > 0) {
      notes.push(
        `the heap grew in ${findings.intervals.counted} of ${findings.intervals.total} intervals between checkpoints (growth stopped, e.g. while requests were shed): sites were judged on those`,
      )
    }
    let growth = { ...NO_GROWTH }
    const from = reads.length >= 2 ? reads[0] : undefined
    const to = reads.length >= 2 ? reads[reads.length - 1] : undefined
    if (from !== undefined && to !== undefined) {
      growth = growthBetween(from.memory, to.memory, (to.t - from.t) / 1000)
    } else {
      const marks = this.#marks.filter((m) => m.memory !== null)
      if (marks.length >= 2) {
        const a = marks[0]!
        const b = marks[marks.length - 1]!
        growth = growthBetween(a.memory!, b.memory!, (b.t - a.t) / 1000)
        notes.push('growth is read without a full GC at the checkpoints: it counts garbage not yet collected')
      }
    }
    const last = reads[reads.length - 1]
    return new Report(
      {
        at: this.#at,
        durationMs: this.#t0 === 0 ? 0 : Math.round(performance.now() - this.#t0),
        checkpoints: reads.length,
        growth,
        heapBytes: { first: reads[0]?.heap ?? 0, last: last?.heap ?? 0 },
        grows: growsMost(growth),
        sites: findings.sites,
        explained: findings.explained,
        trigger: this.plan.trigger,
        skipped: this.#skipped,
        pauseMs: Math.round(this.#pauseMs * 10) / 10,
        intervalBytes: this.plan.intervalBytes,
        watched: watchedGrowth(
          this.#marks.map((m) => m.watched),
          this.#marks.map((m) => m.t),
        ),
        notes,
      },
      this.#lastProfile === undefined ? undefined : copyProfile(this.#lastProfile, (frame) => resolver.mapped(frame)),
    )
  }
}
