import {
  createController,
  type ControllerOptions,
  type GcInfo,
  type LevelChange,
  type Sample,
  type Source,
} from '../../src/index.js'

/** A source whose ratio the test sets; `limit` 1 so that `used / limit` is the ratio exactly. */
export interface ScriptedSource extends Source {
  ratio: number
  /** When set, read() returns this instead of a reading (or throws it, when it is an Error). */
  override: unknown
  reads: number
}

export function scriptedSource(name = 'fake', ratio = 0): ScriptedSource {
  const source: ScriptedSource = {
    name,
    ratio,
    override: undefined,
    reads: 0,
    read() {
      source.reads++
      if (source.override instanceof Error) throw source.override
      if (source.override !== undefined) return source.override as never
      return { used: source.ratio, limit: 1 }
    },
  }
  return source
}

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

export const MiB = 1024 * 1024
