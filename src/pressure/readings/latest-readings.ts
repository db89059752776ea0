import { readSource } from './source-reader.js'
import type { Source, SourceContext, SourceReading } from '../types.js'

/**
 * Turns one raw reading into the one the level logic uses: reservations add the bytes they
 * announced and subtract what caches gave back but the heap has not yet collected. Returns the
 * reading itself for a source it does not adjust. `afterMajorGc` is true for the readings of a
 * sample that follows a full garbage collection.
 */
export type ReadingAdjust = (name: string, reading: SourceReading, afterMajorGc: boolean) => SourceReading

/**
 * What a subsystem may do with the sources between samples (`core.readings`): read one now,
 * adjust every reading, and have the level logic run again at once, as a sample would.
 */
export interface Readings {
  /** The controller's sources, in order. */
  readonly sources: readonly Source[]
  /**
   * Reads the named source now; the level logic uses it from now on. A failure is reported and
   * gives the last good reading instead (undefined when there was none).
   */
  read(name: string): SourceReading | undefined
  /** Installs the adjustment applied to every reading from now on (one per controller). */
  adjust(fn: ReadingAdjust): void
  /**
   * Runs the level logic now on the latest readings, adjusted: the level rises at once (or starts
   * its recovery dwell) as a sample would, without reading every source, recording history or
   * emitting `'sample'`. Works from inside a sample's listeners. Never throws.
   */
  regrade(): void
}

/**
 * What the level logic reads: the pressure ratio (the highest over the sources) and which source
 * gave it, and the live ratio: the same with the heap source's garbage taken out (see
 * `LatestReadings`), never above `ratio`.
 */
export interface LevelInputs {
  ratio: number
  source: string
  live: number
  liveSource: string
}

/** The source whose garbage a major GC reveals: its reading right after one is what was live. */
const LIVE_SOURCE = 'heap'

/**
 * The latest raw reading of every source, and the adjustment applied to them. A sample reads
 * every source through `readAll`; `read` refreshes one between samples; `inputs` recomputes the
 * level inputs from what is kept, so a reservation counts at once without a full sample.
 *
 * Live memory: the heap source's reading right after a major GC holds only what survived it;
 * until the next one, growth above it may be garbage. So the live ratio counts the heap at the
 * smaller of its reading now and its reading after the last major GC (reservations added as
 * usual). Before the first major GC it is the ratio itself.
 */
export class LatestReadings {
  readonly sources: readonly Source[]
  readonly #context: SourceContext
  readonly #raw = new Map<string, SourceReading>()
  #adjust: ReadingAdjust | undefined
  /** The heap source's raw `used` in the sample after the last major GC; undefined before one. */
  #liveUsed: number | undefined

  /** `context` is what every source's `read()` is given (the controller's clock and report). */
  constructor(sources: readonly Source[], context: SourceContext) {
    this.sources = sources
    this.#context = context
  }

  setAdjust(fn: ReadingAdjust): void {
    this.#adjust = fn
  }

  /** Reads every source, keeps the raw readings, returns the adjusted ones and the level inputs (ratio -Infinity when none was read). */
  readAll(afterMajorGc: boolean): { readings: Record<string, SourceReading>; inputs: LevelInputs } {
    const readings: Record<string, SourceReading> = {}
    for (const source of this.sources) {
      const raw = readSource(source, this.#context)
      if (raw === undefined) continue
      const name = source.name
      this.#raw.set(name, raw)
      if (afterMajorGc && name === LIVE_SOURCE) this.#liveUsed = raw.used
      readings[name] = this.#adjusted(name, raw, afterMajorGc)
    }
    return { readings, inputs: this.#inputs(readings) }
  }

  read(name: string): SourceReading | undefined {
    const source = this.sources.find((s) => s.name === name)
    if (source === undefined) return undefined
    const raw = readSource(source, this.#context)
    if (raw === undefined) return this.#raw.get(name)
    this.#raw.set(name, raw)
    return raw
  }

  /** The latest raw `used` of the named source, undefined before it was read. */
  rawUsed(name: string): number | undefined {
    return this.#raw.get(name)?.used
  }

  /** The level inputs of the kept readings, adjusted now (ratio -Infinity when no source was ever read). */
  inputs(): LevelInputs {
    const readings: Record<string, SourceReading> = {}
    for (const [name, raw] of this.#raw) readings[name] = this.#adjusted(name, raw, false)
    return this.#inputs(readings)
  }

  /** One object, filled again at each call: the level logic reads it at once (the sampler's hot path allocates less). */
  readonly #levelInputs: LevelInputs = { ratio: -Infinity, source: '', live: -Infinity, liveSource: '' }

  #inputs(readings: Record<string, SourceReading>): LevelInputs {
    const inputs = this.#levelInputs
    inputs.ratio = -Infinity
    inputs.live = -Infinity
    const sources = this.sources
    for (let i = 0; i < sources.length; i++) {
      const name = sources[i]!.name
      const reading = readings[name]
      if (reading === undefined) continue
      if (reading.ratio > inputs.ratio) {
        inputs.ratio = reading.ratio
        inputs.source = name
      }
      const own = name === LIVE_SOURCE ? this.#liveRatio(name, reading) : reading.ratio
      if (own > inputs.live) {
        inputs.live = own
        inputs.liveSource = name
      }
    }
    return inputs
  }

  /** The adjusted ratio less the garbage the heap may hold since the last major GC. */
  #liveRatio(name: string, reading: SourceReading): number {
    const since = this.#liveUsed
    const raw = this.#raw.get(name)
    if (since === undefined || raw === undefined || raw.used <= since) return reading.ratio
    return reading.ratio - (raw.used - since) / raw.limit
  }

  #adjusted(name: string, raw: SourceReading, afterMajorGc: boolean): SourceReading {
    const adjust = this.#adjust
    if (adjust === undefined) return raw
    try {
      return adjust(name, raw, afterMajorGc)
    } catch (error) {
      // The adjustment is the library's own code; should it ever fail, the raw reading still counts.
      this.#context.report(error)
      return raw
    }
  }
}
