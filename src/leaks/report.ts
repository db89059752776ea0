import { relative, isAbsolute } from 'node:path'
import { formatBytes } from '../util/format-bytes.js'
import type { GrowingMemory, MemoryGrowth } from './growth.js'
import { copyProfile, type HeapProfile } from './profile.js'
import type { LeakSite } from './sites.js'

/** Why a window was opened: `capture()`, a post-GC floor that kept rising, or `warning` reached while it rose. */
export type LeakTrigger = 'capture' | 'rising' | 'warning'

/** A collection given to `pressure.leaks.watch()`, over a window. */
export interface WatchedGrowth {
  name: string
  /** Its size at each checkpoint (null where the size function threw or returned a non-number). */
  sizes: (number | null)[]
  /** Growth per second from the first known size to the last (0 with fewer than two). */
  perSecond: number
  /** True when it grew at every checkpoint. */
  grew: boolean
}

/** What a window found; `pressure.leaks.last` holds the newest. See docs/leaks.md. */
export interface LeakReport {
  /** When the window opened (ms, the controller's clock). */
  at: number
  /** How long it lasted, ms. */
  durationMs: number
  /** Profile reads that count (skipped ones excluded); the first is the baseline. */
  checkpoints: number
  /** Growth per kind of memory over the window, bytes per second: `native` is resident memory less the heap and external; `caches` is a part of `heap`. */
  growth: MemoryGrowth
  /** The heap's used bytes right after the forced GC of the first and the last checkpoint (0 when not read). */
  heapBytes: { first: number; last: number }
  /** Which memory grows most: `caches` when the managed caches account for most of the heap's growth, `none` below 1 KiB/s. */
  grows: GrowingMemory
  /** Allocation sites whose live bytes grew at every checkpoint (at which the heap grew), fastest first. */
  sites: LeakSite[]
  /** 0..1: the share of the heap's growth over the window that `sites` account for. */
  explained: number
  /** Why the window was opened. */
  trigger: LeakTrigger
  /** Checkpoints skipped because their forced full GC was expected to pause longer than `maxPauseMs`. */
  skipped: number
  /** The longest pause a checkpoint took (its forced full GC and the read), ms. */
  pauseMs: number
  /** The sampler's mean bytes between samples in this window. */
  intervalBytes: number
  /** The collections given to `watch()`, with their growth. */
  watched: WatchedGrowth[]
  /** What went differently, in sentences: skipped checkpoints, a window cut short, a heap that stopped growing. */
  notes: string[]
  /** The top sites, one log line each, fastest first, under a line with the growth per kind. */
  toString(): string
  /** The last checkpoint as a DevTools `.heapprofile` (JSON): open it in Chrome DevTools, Memory tab, "Load". */
  heapProfile(): HeapProfile
  /** The report as plain data (without the profile), as `JSON.stringify` writes it. */
  toJSON(): LeakReportData
}

/** A report as plain data: what the dashboard shows and `JSON.stringify(report)` writes. */
export type LeakReportData = Omit<LeakReport, 'toString' | 'heapProfile' | 'toJSON'>

/** How many sites `toString()` lists. */
const LINES = 10

export class Report implements LeakReport {
  readonly at: number
  readonly durationMs: number
  readonly checkpoints: number
  readonly growth: MemoryGrowth
  readonly heapBytes: { first: number; last: number }
  readonly grows: GrowingMemory
  readonly sites: LeakSite[]
  readonly explained: number
  readonly trigger: LeakTrigger
  readonly skipped: number
  readonly pauseMs: number
  readonly intervalBytes: number
  readonly watched: WatchedGrowth[]
  readonly notes: string[]
  readonly #profile: HeapProfile | undefined

  constructor(data: LeakReportData, profile: HeapProfile | undefined) {
    this.at = data.at
    this.durationMs = data.durationMs
    this.checkpoints = data.checkpoints
    this.growth = Object.freeze({ ...data.growth })
    this.heapBytes = Object.freeze({ ...data.heapBytes })
    this.grows = data.grows
    this.sites = Object.freeze(
      data.sites.map((s) => Object.freeze({ ...s, stack: Object.freeze([...s.stack]) })),
    ) as LeakSite[]
    this.explained = data.explained
    this.trigger = data.trigger
    this.skipped = data.skipped
    this.pauseMs = data.pauseMs
    this.intervalBytes = data.intervalBytes
    this.watched = Object.freeze(
      data.watched.map((w) => Object.freeze({ ...w, sizes: Object.freeze([...w.sizes]) })),
    ) as WatchedGrowth[]
    this.notes = Object.freeze([...data.notes]) as string[]
    this.#profile = profile
  }

  toString(): string {
    return formatReport(this)
  }

  heapProfile(): HeapProfile {
    return this.#profile === undefined
      ? { head: { callFrame: ROOT_FRAME, selfSize: 0, id: 1, children: [] }, samples: [] }
      : copyProfile(this.#profile)
  }

  toJSON(): LeakReportData {
    const { at, durationMs, checkpoints, growth, heapBytes, grows, sites, explained } = this
    const { trigger, skipped, pauseMs, intervalBytes, watched, notes } = this
    return {
      at,
      durationMs,
      checkpoints,
      growth,
      heapBytes,
      grows,
      sites,
      explained,
      trigger,
      skipped,
      pauseMs,
      intervalBytes,
      watched,
      notes,
    }
  }
}

const ROOT_FRAME = Object.freeze({ functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 })

const rate = (bytesPerSecond: number): string => `${bytesPerSecond >= 0 ? '+' : ''}${formatBytes(bytesPerSecond)}/s`
const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`

/** A path relative to the working directory when it is inside it; anything else as it is. */
export function shortFile(file: string): string {
  if (!isAbsolute(file)) return file
  const path = relative(process.cwd(), file)
  return path === '' || path.startsWith('..') || isAbsolute(path) ? file : path
}

function formatReport(r: LeakReport): string {
  const { growth } = r
  const seconds = r.durationMs < 10_000 ? (r.durationMs / 1000).toFixed(1) : String(Math.round(r.durationMs / 1000))
  const lines = [
    `heapguard leaks: ${seconds} s window (${r.checkpoints} checkpoints${r.skipped > 0 ? `, ${r.skipped} skipped` : ''}, ${r.trigger}): ` +
      `heap ${rate(growth.heap)}, external ${rate(growth.external)}, native ${rate(growth.native)}, caches ${rate(growth.caches)}; ` +
      `grows: ${r.grows}; heap after GC ${formatBytes(r.heapBytes.first)} → ${formatBytes(r.heapBytes.last)}; ` +
      (r.sites.length === 0
        ? 'no allocation site grew at every checkpoint'
        : `${r.sites.length} site${r.sites.length === 1 ? '' : 's'} explain ${percent(r.explained)} of the heap's growth`),
  ]
  r.sites.slice(0, LINES).forEach((site, i) => {
    const where = site.file === '' ? '(native)' : `${shortFile(site.file)}:${site.line}`
    const via = site.stack.length > 1 && !site.stack[0]!.startsWith(`${site.fn} (`) ? `  via ${site.stack[0]}` : ''
    lines.push(
      `  #${i + 1} ${rate(site.bytesPerSecond)} (${percent(site.share)}) ${site.fn}  ${where}  ` +
        `[${site.package ?? 'app'}]  live ${formatBytes(site.liveBytes)}${via}`,
    )
  })
  if (r.sites.length > LINES) lines.push(`  … ${r.sites.length - LINES} more sites`)
  for (const w of r.watched) {
    const known = w.sizes.filter((s): s is number => s !== null)
    const span = known.length > 0 ? `${known[0]} → ${known[known.length - 1]}` : 'unknown'
    lines.push(
      `  watched ${w.name}: ${w.perSecond >= 0 ? '+' : ''}${w.perSecond.toFixed(1)}/s (${span})${w.grew ? ', grew at every checkpoint' : ''}`,
    )
  }
  for (const note of r.notes) lines.push(`  note: ${note}`)
  return lines.join('\n')
}
