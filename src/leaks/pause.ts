/**
 * Predicts the pause of a checkpoint: reading the profile forces a full, atomic mark-compact
 * (38–81 ms on a 200 MiB heap, 1 s on 909 MiB, measured on Node 20). The prediction is the longer
 * of: the checkpoints' own measured pauses (the same operation) per heap byte, scaled to the heap
 * now; and the controller's recent mark-compact pauses. Before any checkpoint was measured, the
 * controller's pauses can be far shorter than an atomic one (incremental marking leaves only its
 * last step in the pause), so the heap's size sets a floor, 0.4 ms per MiB, the low end measured.
 * Each figure is the median of its last few, so that one pause stretched by a busy machine does
 * not skip the rest of a window.
 */
export class PausePredictor {
  /** ms per heap byte of the last few measured checkpoints, oldest first. */
  readonly #msPerByte: number[] = []

  /** Remembers a checkpoint's measured pause and the heap it collected. */
  learn(pauseMs: number, heapBytes: number): void {
    if (!Number.isFinite(pauseMs) || pauseMs < 0 || !(heapBytes > 0)) return
    this.#msPerByte.push(pauseMs / heapBytes)
    if (this.#msPerByte.length > KEPT) this.#msPerByte.shift()
  }

  predict(heapBytes: number, majorPauses: readonly number[]): number {
    const heap = heapBytes > 0 ? heapBytes : 0
    const perByte = median(this.#msPerByte) ?? FIRST_MS_PER_BYTE
    const gc = median(majorPauses.slice(-KEPT).filter((p) => Number.isFinite(p) && p >= 0)) ?? 0
    return Math.max(perByte * heap, gc)
  }
}

/** How many figures of each kind the prediction looks at. */
const KEPT = 3

/** Before a checkpoint was measured: 0.4 ms per MiB of heap. */
const FIRST_MS_PER_BYTE = 0.4 / (1024 * 1024)

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
