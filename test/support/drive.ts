// Controllers driven by hand: no timer, no GC observer, an injected clock; the test moves the
// level by feeding readings (`drive`, `ledger`) or by force() (`manualController`).
import {
  createController,
  type ControllerOptions,
  type GcInfo,
  type LevelChange,
  type Sample,
  type ShedOptions,
} from '../../src/index.js'
import { bytesSource, scriptedSource } from './sources.js'

/**
 * A controller driven by hand: a scripted source, an injected clock, no timer, no GC observer.
 * Records every event.
 */
export function drive(options: ControllerOptions = {}) {
  const clock = { t: 0 }
  const source = scriptedSource()
  const pressure = createController({ sources: [source], autoStart: false, now: () => clock.t, ...options })
  const changes: LevelChange[] = []
  const samples: Sample[] = []
  const errors: Error[] = []
  pressure.on('level', (c) => changes.push(c))
  pressure.on('sample', (s) => samples.push(s))
  pressure.on('error', (e) => errors.push(e))
  return {
    pressure,
    source,
    clock,
    changes,
    samples,
    errors,
    /** Sets the ratio, moves the clock to `at` (absolute ms) and samples. */
    feed(ratio: number, at = clock.t): Sample {
      clock.t = at
      source.ratio = ratio
      return pressure.sample()
    },
  }
}

/**
 * A controller whose heap the test sets in bytes: a scripted `heap` source (limit 100 MiB), an
 * injected clock, no timer. Reservations count against it; `sample(used)` moves it.
 */
export function ledger(options: ControllerOptions = {}, used = 0) {
  const clock = { t: 0 }
  const heap = bytesSource('heap', used)
  const pressure = createController({
    sources: [heap],
    autoStart: false,
    now: () => clock.t,
    logger: {},
    ...options,
  })
  const errors: Error[] = []
  const changes: LevelChange[] = []
  pressure.on('error', (e) => errors.push(e))
  pressure.on('level', (c) => changes.push(c))
  return {
    pressure,
    heap,
    clock,
    errors,
    changes,
    /** Sets the heap's `used` (bytes; default unchanged), moves the clock to `at` and samples. */
    sample(usedBytes = heap.used, at = clock.t) {
      heap.used = usedBytes
      clock.t = at
      return pressure.sample()
    },
  }
}

/** A controller with no timer and a flat fake source: levels change only through `force()`. */
export function manualController(shed?: ShedOptions) {
  return createController({
    autoStart: false,
    sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
    logger: {},
    ...(shed === undefined ? {} : { shed }),
  })
}

/**
 * A GC seam for tests: `gc(major)` plays a garbage collection, `play(info)` a notification with
 * entries (GC effort); `unsubscribed` counts disconnects.
 */
export function gcSeam() {
  const seam = {
    listeners: [] as ((info: GcInfo) => void)[],
    subscribed: 0,
    unsubscribed: 0,
    subscribeGc: (fn: (info: GcInfo) => void) => {
      seam.subscribed++
      seam.listeners.push(fn)
      return () => {
        seam.unsubscribed++
        seam.listeners = seam.listeners.filter((l) => l !== fn)
      }
    },
    gc(major = true) {
      for (const fn of seam.listeners) fn({ major })
    },
    play(info: GcInfo) {
      for (const fn of seam.listeners) fn(info)
    },
  }
  return seam
}
