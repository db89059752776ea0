import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks'
import type { Reading, Source } from '../types.js'
import { checkNumber, checkOptions, checkString, optionKeys } from '../../util/validate.js'

const W = 'eventLoopSource'

export interface EventLoopSourceOptions {
  /** Source name; default `'event-loop'`. */
  name?: string
  /** The delay (ms) that counts as full, ratio 1; default 1000. Levels begin at its thresholds (700, 850, 950 ms by default). */
  maxDelayMs?: number
  /** The event-loop utilization (0..1] that counts as full; default none: utilization is not measured. */
  maxUtilization?: number
  /**
   * How often the delay is sampled, in ms (the histogram's resolution): a wait is known to within
   * it. Default `maxDelayMs / 20` within 10..100 (50 for the default `maxDelayMs`): each tick wakes
   * the process, idle or not.
   */
  resolutionMs?: number
}

const KEYS = optionKeys<EventLoopSourceOptions>({
  name: true,
  maxDelayMs: true,
  maxUtilization: true,
  resolutionMs: true,
})

/** Utilization over less time than this is mostly the sample's own work: the last value is kept until a longer window has passed. */
const UTILIZATION_WINDOW_MS = 1000

/**
 * The event loop as a source, so that the same levels and admission cover a saturated loop
 * (CPU-bound work such as `JSON.stringify` of large exports makes health probes time out long
 * before memory runs short). Opt in: it is never among the default sources.
 *
 * Its reading is in **milliseconds of delay**: `used` is the longest a timer had to wait for the
 * loop (beyond its due time) since the previous reading, `limit` is `maxDelayMs`. Waits shorter
 * than `resolutionMs` are noise: they stay in the reading until a longer one replaces them. With `maxUtilization`, the loop's
 * utilization over the last second counts too, mapped onto the same scale: `used` is the larger
 * of the delay and `utilization / maxUtilization × maxDelayMs`, so the ratio is the larger of the
 * two ratios.
 *
 * The delay comes from `perf_hooks.monitorEventLoopDelay()`: a native timer every `resolutionMs`,
 * no JavaScript per tick (but a wake-up of the process). Only its `max` is read (its `mean` walks every bucket: ≈ 45 µs). It is
 * reset after a reading that shows a wait of at least `resolutionMs`; it then drops the next
 * interval (that is when it takes its new starting time), so a one-shot probe timer measures that
 * one. A wait still going on when a reading is taken (its tick not yet run) shows in the next
 * reading. The first reading starts the measurement and reads 0, so that a slow start-up (module
 * loading) does not count. `close()` disables the histogram.
 */
export function eventLoopSource(options: EventLoopSourceOptions = {}): Source {
  const o = checkOptions<EventLoopSourceOptions>(W, 'options', options, KEYS)
  const name = o.name === undefined ? 'event-loop' : checkString(W, 'option `name`', o.name)
  const maxDelayMs = checkNumber(W, 'option `maxDelayMs`', o.maxDelayMs ?? 1000, { min: 1, max: 3_600_000 })
  const maxUtilization =
    o.maxUtilization === undefined
      ? undefined
      : checkNumber(W, 'option `maxUtilization`', o.maxUtilization, { above: 0, max: 1 })
  const resolutionMs = checkNumber(W, 'option `resolutionMs`', o.resolutionMs ?? defaultResolution(maxDelayMs), {
    integer: true,
    min: 1,
    max: 1000,
  })
  const loop = new EventLoopWatch(resolutionMs, maxUtilization !== undefined)
  return {
    name,
    read(): Reading {
      const { delayMs, utilization } = loop.read()
      const used =
        maxUtilization === undefined ? delayMs : Math.max(delayMs, (utilization / maxUtilization) * maxDelayMs)
      return { used, limit: maxDelayMs }
    },
    close: () => loop.close(),
  }
}

/**
 * A twentieth of the delay counted as full, within 10..100 ms: each tick wakes the process (an idle
 * process pays ≈ 0.2 % of a core at 50 ms, ≈ 0.6 % at 10 ms: BENCHMARKS.md), and a wait is known
 * to within one tick, 5 % of `maxDelayMs`.
 */
function defaultResolution(maxDelayMs: number): number {
  return Math.min(100, Math.max(10, Math.round(maxDelayMs / 20)))
}

/** The loop's delay since the previous reading, and its utilization over the last second or more. */
class EventLoopWatch {
  readonly #resolutionMs: number
  readonly #utilization: boolean
  #histogram: IntervalHistogram | undefined
  /**
   * A one-shot timer armed at each reset of the histogram, which does not record the first
   * interval after a reset: its lateness is that interval's wait.
   */
  #probe: NodeJS.Timeout | undefined
  #probeDue = 0
  /** The probe's lateness once it has fired (ms); undefined while it waits or is not armed. */
  #probeLate: number | undefined
  #probeArmed = false
  #elu: EventLoopUtilization | undefined
  #eluAt = 0
  #last = { delayMs: 0, utilization: 0 }
  #closed = false

  constructor(resolutionMs: number, utilization: boolean) {
    this.#resolutionMs = resolutionMs
    this.#utilization = utilization
  }

  read(): { delayMs: number; utilization: number } {
    if (this.#closed) return this.#last
    const now = performance.now()
    if (this.#histogram === undefined) {
      // The first reading starts the watch: nothing before it counts.
      this.#histogram = monitorEventLoopDelay({ resolution: this.#resolutionMs })
      this.#histogram.enable()
      if (this.#utilization) {
        this.#elu = performance.eventLoopUtilization()
        this.#eluAt = now
      }
      return this.#last
    }
    const delayMs = this.#delay(this.#histogram, now)
    this.#last = { delayMs, utilization: this.#utilizationAt(now) }
    return this.#last
  }

  /**
   * The longest wait since the last reset, in ms: the histogram's longest recorded interval less
   * the resolution, or the probe's lateness. The histogram is reset only once a wait of at least
   * the resolution shows (a reset costs a few µs, and loses the next interval, which the probe then
   * covers); shorter waits stay in it as noise until a longer one comes.
   */
  #delay(histogram: IntervalHistogram, now: number): number {
    const r = this.#resolutionMs
    let delayMs = histogram.max === 0 ? 0 : histogram.max / 1e6 - r // max is 0 while it is empty
    if (this.#probeArmed) {
      delayMs = Math.max(delayMs, this.#probeLate ?? now - this.#probeDue)
      if (this.#probeLate !== undefined) this.#probeArmed = false
    }
    delayMs = Math.max(0, delayMs)
    if (delayMs >= r) {
      histogram.reset()
      this.#armProbe(now)
    }
    return delayMs
  }

  #armProbe(now: number): void {
    this.#probeDue = now + this.#resolutionMs
    this.#probeLate = undefined
    this.#probeArmed = true
    if (this.#probe === undefined) {
      this.#probe = setTimeout(() => {
        this.#probeLate = performance.now() - this.#probeDue
      }, this.#resolutionMs)
      this.#probe.unref()
    } else {
      this.#probe.refresh()
    }
  }

  /** Utilization over windows of at least a second: over less it is mostly the sample's own work. */
  #utilizationAt(now: number): number {
    if (this.#elu === undefined || now - this.#eluAt < UTILIZATION_WINDOW_MS) return this.#last.utilization
    const elu = performance.eventLoopUtilization()
    const utilization = performance.eventLoopUtilization(elu, this.#elu).utilization
    this.#elu = elu
    this.#eluAt = now
    return utilization
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#histogram?.disable()
    clearTimeout(this.#probe)
  }
}
