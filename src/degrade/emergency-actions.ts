import { getHeapStatistics, setHeapSnapshotNearHeapLimit } from 'node:v8'
import { THRESHOLD_LEVELS, type ThresholdLevel } from '../pressure/levels.js'
import { checkNumber, checkOneOf, checkOptions, describe } from '../util/validate.js'
import { warnOnce } from '../util/warn-once.js'

/** Opt-in actions for the worst moments: `createController({ emergency: { ... } })`. */
export interface EmergencyOptions {
  /**
   * Run a full garbage collection (`global.gc()`) when the level reaches this level (`true` =
   * `'emergency'`). Needs `node --expose-gc`; without it a warning is emitted once and nothing runs.
   * Default false.
   */
  gc?: boolean | ThresholdLevel
  /**
   * Arm `v8.setHeapSnapshotNearHeapLimit(n)`: when the heap nears its limit V8 writes a heap
   * snapshot (at most `n` per process) before dying, into the working directory or
   * `--diagnostic-dir`. Process-wide and armed once, when the controller is built; a no-op when
   * Node was started with `--heapsnapshot-near-heap-limit`. Default 0 (off).
   */
  heapSnapshots?: number
}

export interface ResolvedEmergencyOptions {
  gcAt: ThresholdLevel | null
  heapSnapshots: number
}

const W = 'createController'

export function resolveEmergencyOptions(value: unknown): ResolvedEmergencyOptions {
  const options = checkOptions<EmergencyOptions>(W, 'emergency', value, ['gc', 'heapSnapshots'])
  const gc = options.gc ?? false
  let gcAt: ThresholdLevel | null
  if (typeof gc === 'boolean') gcAt = gc ? 'emergency' : null
  else if (typeof gc === 'string') gcAt = checkOneOf(W, 'option `emergency.gc`', gc, THRESHOLD_LEVELS)
  else
    throw new TypeError(
      `${W}: option \`emergency.gc\` must be a boolean or one of 'warning', 'critical', 'emergency', got ${describe(gc)}`,
    )
  const heapSnapshots = checkNumber(W, 'option `emergency.heapSnapshots`', options.heapSnapshots ?? 0, {
    min: 0,
    max: 1000,
    integer: true,
  })
  return { gcAt, heapSnapshots }
}

/** True when the process was started with `--expose-gc` (or gc was exposed otherwise). */
export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function'
}

export function warnGcUnavailable(): void {
  warnOnce(
    'HEAPGUARD_GC_NOT_EXPOSED',
    'heapguard: option `emergency.gc` is on but global.gc() is not exposed; start node with --expose-gc (or NODE_OPTIONS=--expose-gc) for the emergency GC to run',
  )
}

/**
 * A full, synchronous garbage collection. Returns the bytes it freed (heap used before less
 * after), or null when gc is not exposed.
 */
export function collectGarbage(): number | null {
  const gc = (globalThis as { gc?: unknown }).gc
  if (typeof gc !== 'function') return null
  const before = getHeapStatistics().used_heap_size
  ;(gc as () => void)()
  return before - getHeapStatistics().used_heap_size
}

let armedWith: number | null = null

/** Arms V8's heap snapshot near the heap limit. V8 takes only the first call per process. */
export function armHeapSnapshots(count: number): void {
  if (armedWith !== null) {
    if (armedWith !== count) {
      warnOnce(
        'HEAPGUARD_HEAP_SNAPSHOTS_ARMED',
        `heapguard: heap snapshots near the heap limit were already armed with ${armedWith}; V8 ignores the new count ${count}`,
      )
    }
    return
  }
  armedWith = count
  setHeapSnapshotNearHeapLimit(count)
}
