import { RingBuffer } from './ring-buffer.js'
import { FloorTrend, type Trend } from './trend.js'
import type { Sample, Source } from '../types.js'

/**
 * The kept samples (bounded, oldest dropped) and the leak trend they feed: each sample that
 * follows a major GC records the heap floor of the `heap` source (or the first source when none
 * is named `heap`).
 */
export class SampleHistory {
  readonly #samples: RingBuffer<Sample>
  readonly #trend = new FloorTrend()
  readonly #floorSource: string

  constructor(size: number, sources: readonly Source[]) {
    this.#samples = new RingBuffer(size)
    this.#floorSource = sources.some((s) => s.name === 'heap') ? 'heap' : sources[0]!.name
  }

  /** Keeps `sample`; after a major GC its floor source's reading is a point of the trend. */
  record(sample: Sample, afterMajorGc: boolean): void {
    this.#samples.push(sample)
    if (!afterMajorGc) return
    const floor = sample.sources[this.#floorSource]
    if (floor !== undefined) this.#trend.record(sample.at, floor.used, floor.limit)
  }

  last(): Sample | undefined {
    return this.#samples.last()
  }

  toArray(): Sample[] {
    return this.#samples.toArray()
  }

  /** The trend read at `now` (by the controller's clock), with the newest reading of the floor source. */
  trend(now: number): Trend {
    const sample = this.#samples.last()
    const reading = sample?.sources[this.#floorSource]
    const latest = sample !== undefined && reading !== undefined ? { at: sample.at, used: reading.used } : undefined
    return this.#trend.estimate(now, latest)
  }
}
