// A controller whose heap the test sets in bytes: a scripted `heap` source (limit 100 MiB), an
// injected clock, no timer. Reservations count against it; `sample(used)` moves it.
import { createController, type ControllerOptions, type LevelChange } from '../../../src/index.js'

export const MiB = 1024 * 1024
export const LIMIT = 100 * MiB

export interface BytesSource {
  readonly name: string
  used: number
  limit: number
  /** When set, read() throws it. */
  failure: Error | undefined
  reads: number
  read(): { used: number; limit: number }
}

export function bytesSource(name = 'heap', used = 0, limit = LIMIT): BytesSource {
  const source: BytesSource = {
    name,
    used,
    limit,
    failure: undefined,
    reads: 0,
    read() {
      source.reads++
      if (source.failure !== undefined) throw source.failure
      return { used: source.used, limit: source.limit }
    },
  }
  return source
}

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
