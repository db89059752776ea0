import { brandError } from '../util/error-brand.js'

/**
 * Why a window could not be opened:
 * - `'inspector'`: `node:inspector` is missing from this Node build, or its session cannot connect;
 * - `'sampler-in-use'`: V8's sampling heap profiler (one per process) is running already, started
 *   by someone else (an APM agent's heap profiler, DevTools); heapguard never stops or re-tunes it;
 * - `'other-window'`: another heapguard controller in this process has a window open;
 * - `'closed'`: the controller is closed.
 */
export type LeakCaptureReason = 'inspector' | 'sampler-in-use' | 'other-window' | 'closed'

/** `pressure.leaks.capture()` rejects with it when no window can be opened; see `reason`. */
export class LeakCaptureError extends Error {
  static {
    brandError(this, 'LeakCaptureError')
  }
  override readonly name = 'LeakCaptureError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_LEAK_CAPTURE'

  constructor(
    readonly reason: LeakCaptureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`heapguard: leaks.capture(): ${message}`, options)
  }
}
