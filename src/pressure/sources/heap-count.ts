import v8 from 'node:v8'

/**
 * The free pages count only in a cycle that began crowded: right after the major GC, V8's own count
 * (objects and free pages) at this share of the limit or more, so that the collection could not
 * give the room back. A server whose exports come and go (the high tide) began its cycles at
 * 0.87–0.92 and touched 0.95 between collections, which its next GC undid; the fragmented leak
 * began its last cycles at 0.95 and more.
 */
const FRAGMENTED_AT = 0.95

/**
 * The heap as V8 counts it against its limit (`OldGenerationCapacity`, what "Reached heap limit"
 * is about), read per space:
 * - objects: what the old generation's spaces hold, and every large object, young ones included (a
 *   large object is allocated young and promoted whole if it survives a scavenge: an export's
 *   12 MiB of arrays counts the moment it exists). The young generation's pages (`new_space`,
 *   mostly garbage) are left out, as V8's limit leaves them out.
 * - free pages: the old generation's committed pages that hold no object (free lists, fragments).
 *   V8 counts them too, but it allocates from them before it adds a page: after a collection the
 *   holes a cache's evicted entries left are filled by the next values. What brings the limit
 *   nearer is free space V8 does not reuse while it adds pages: holes too small for what is being
 *   allocated (a 60 KiB gap beside each 64 KiB string). So, within one collection cycle (from one
 *   major GC to the next), once the pages have grown since the cycle began, the least free space
 *   seen in the cycle counts too: that much was left unused while V8 had to add pages.
 *
 * Measured here: a leak of 32–128 KiB strings beside a cache of the same shape under 96 MiB died
 * with 83 MB of objects in 93 MB of pages (`used_heap_size` read 0.70–0.85 at the end); counting
 * the free pages it did not reuse, the reading reaches `emergency` before V8 aborts.
 */
export class HeapCount {
  /** The cycle the figures below belong to (the controller's major-GC count), or -1. */
  #cycle = -1
  /** The old generation's committed pages when the cycle began, and the least free space seen in it. */
  #committedAtStart = 0
  #leastFree = 0
  /** Whether the cycle began with V8's count (objects and free pages) at `FRAGMENTED_AT` of the limit or more. */
  #crowded = false
  readonly #limit: number

  /** `limit`: the bytes V8 compares its count with (the heap source's limit). */
  constructor(limit: number) {
    this.#limit = limit
  }

  /** Bytes counted now; `majorGcs` (from the controller's source context) starts a new cycle when it moves. */
  read(majorGcs: number | undefined): number {
    let objects = 0
    let committed = 0
    let used = 0
    for (const space of v8.getHeapSpaceStatistics()) {
      const name = space.space_name
      if (name.startsWith('shared_') || name === 'read_only_space' || name === 'new_space') continue
      objects += space.space_used_size
      if (name.endsWith('large_object_space')) continue
      committed += space.space_size
      used += space.space_used_size
    }
    const free = Math.max(0, committed - used)
    // Read without a controller (no cycles known): the objects alone.
    if (majorGcs === undefined) return objects
    if (majorGcs !== this.#cycle) {
      this.#cycle = majorGcs
      this.#committedAtStart = committed
      this.#leastFree = free
      this.#crowded = objects + free >= FRAGMENTED_AT * this.#limit
    } else if (free < this.#leastFree) {
      this.#leastFree = free
    }
    return this.#crowded && committed > this.#committedAtStart ? objects + this.#leastFree : objects
  }
}
