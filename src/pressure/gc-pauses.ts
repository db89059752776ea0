import { RingBuffer } from './ring-buffer.js'
import type { GcEntry, GcInfo } from './types.js'

/**
 * The pauses of the last few mark-compacts (ms), from the GC seam's entries, newest last. Read-only
 * for subsystems: leaks predicts the full GC a heap-profile checkpoint forces from them.
 */
export class MajorGcPauses {
  readonly #pauses = new RingBuffer<number>(8)

  observe(info: GcInfo | null | undefined): void {
    const entries = info?.entries
    if (!Array.isArray(entries)) return
    for (const entry of entries as readonly (GcEntry | null)[]) {
      if (entry?.kind === 'major' && Number.isFinite(entry.duration) && entry.duration >= 0) {
        this.#pauses.push(entry.duration)
      }
    }
  }

  recent(): number[] {
    return this.#pauses.toArray()
  }
}
