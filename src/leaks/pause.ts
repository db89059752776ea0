/**
 * Predicts the pause of a checkpoint: reading the profile forces a full, atomic mark-compact
 * (38–81 ms on a 200 MiB heap, 1 s on 909 MiB, measured on Node 20). The prediction is the longer
 * of the last checkpoint's own pause scaled to the heap now (the same operation, measured), and the
 * longest of the controller's recent mark-compact pauses (before any checkpoint has been measured,
 * the only figure there is). Null when neither is known: a heap that has had no mark-compact yet
 * is small.
 */
export class PausePredictor {
  /** ms per heap byte of the last measured checkpoint. */
  #msPerByte: number | null = null

  /** Remembers a checkpoint's measured pause and the heap it collected. */
  learn(pauseMs: number, heapBytes: number): void {
    if (Number.isFinite(pauseMs) && pauseMs >= 0 && heapBytes > 0) this.#msPerByte = pauseMs / heapBytes
  }

  predict(heapBytes: number, majorPauses: readonly number[]): number | null {
    const own = this.#msPerByte === null || !(heapBytes > 0) ? null : this.#msPerByte * heapBytes
    let gc: number | null = null
    for (const pause of majorPauses) if (Number.isFinite(pause) && (gc === null || pause > gc)) gc = pause
    if (own === null) return gc
    return gc === null ? own : Math.max(own, gc)
  }
}
