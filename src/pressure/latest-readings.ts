import { readSource } from './source-reader.js'
import type { Source, SourceContext, SourceReading } from './types.js'

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
 * The latest raw reading of every source, and the adjustment applied to them. A sample reads
 * every source through `readAll`; `read` refreshes one between samples; `ratio` recomputes the
 * pressure ratio from what is kept, so a reservation counts at once without a full sample.
 */
export class LatestReadings {
  readonly sources: readonly Source[]
  readonly #context: SourceContext
  readonly #raw = new Map<string, SourceReading>()
  #adjust: ReadingAdjust | undefined

  /** `context` is what every source's `read()` is given (the controller's clock and report). */
  constructor(sources: readonly Source[], context: SourceContext) {
    this.sources = sources
    this.#context = context
  }

  setAdjust(fn: ReadingAdjust): void {
    this.#adjust = fn
  }

  /** Reads every source , keeps the raw readings, returns the adjusted ones and their maximum ratio. */
  readAll(afterMajorGc: boolean): { readings: Record<string, SourceReading>; ratio: number } {
    const readings: Record<string, SourceReading> = {}
    let ratio = -Infinity
    for (const source of this.sources) {
      const raw = readSource(source, this.#context)
      if (raw === undefined) continue
      this.#raw.set(source.name, raw)
      const reading = this.#adjusted(source.name, raw, afterMajorGc)
      readings[source.name] = reading
      if (reading.ratio > ratio) ratio = reading.ratio
    }
    return { readings, ratio }
  }

  read(name: string): SourceReading | undefined {
    const source = this.sources.find((s) => s.name === name)
    if (source === undefined) return undefined
    const raw = readSource(source, this.#context)
    if (raw === undefined) return this.#raw.get(name)
    this.#raw.set(name, raw)
    return raw
  }

  /** The pressure ratio of the kept readings, adjusted now; -Infinity when no source was ever read. */
  ratio(): number {
    let ratio = -Infinity
    for (const [name, raw] of this.#raw) {
      const r = this.#adjusted(name, raw, false).ratio
      if (r > ratio) ratio = r
    }
    return ratio
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
