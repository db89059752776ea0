import type { Level } from '../../pressure/levels.js'
import { brandError } from '../../util/error-brand.js'
import type { Priority } from './priority.js'

/**
 * Why work was refused:
 * - `level`: the admission table refuses this priority at the current level;
 * - `queue-full`: the concurrency limit is reached and the wait queue is full;
 * - `queue-timeout`: the work waited in the queue for `queue.timeoutMs` without getting a slot;
 * - `closed`: it was still waiting when the controller closed;
 * - `memory`: the bytes it reserves do not fit below its priority's line, even with the room the
 *   caches could give back (`pressure.reserve`, and the `bytes` options of `run` and the HTTP adapters).
 */
export type ShedReason = 'level' | 'queue-full' | 'queue-timeout' | 'closed' | 'memory'

/** What a `'refused'` listener receives. */
export interface ShedRefusal {
  priority: Priority
  level: Level
  reason: ShedReason
  /** Seconds the client should wait before trying again. */
  retryAfter: number
}

const EXPLAIN: Record<ShedReason, string> = {
  level: 'refused at this pressure level',
  'queue-full': 'concurrency limit reached and the wait queue is full',
  'queue-timeout': 'waited too long for a free slot',
  closed: 'the controller closed while it waited',
  memory: 'the memory it reserves does not fit',
}

/**
 * The rejection of `shed.run()` (and the error an `acquire()` callback receives) when work is shed.
 * `instanceof ShedError` holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class ShedError extends Error implements ShedRefusal {
  static {
    brandError(this, 'ShedError')
  }
  override readonly name = 'ShedError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_SHED'
  readonly priority: Priority
  readonly level: Level
  readonly reason: ShedReason
  readonly retryAfter: number

  constructor(refusal: ShedRefusal) {
    super(`heapguard: '${refusal.priority}' work shed at level '${refusal.level}': ${EXPLAIN[refusal.reason]}`)
    this.priority = refusal.priority
    this.level = refusal.level
    this.reason = refusal.reason
    this.retryAfter = refusal.retryAfter
  }
}

/** The same refusal with another `Retry-After` (an adapter's own): a memory refusal comes with the controller's. */
export function withRetryAfter(error: ShedError, retryAfter: number): ShedError {
  if (error.retryAfter === retryAfter) return error
  const { priority, level, reason } = error
  return new ShedError({ priority, level, reason, retryAfter })
}
