import type { Session } from 'node:inspector'
import { loadInspector, type InspectorModule } from '../util/inspector.js'
import { messageOf } from '../util/validate.js'
import { LeakCaptureError } from './errors.js'
import type { HeapProfile } from './profile.js'

/**
 * Set on `globalThis` while a heapguard window's sampler runs, by any copy of heapguard in the
 * process (ESM and CJS builds, a bundled one): there is one sampler per isolate.
 */
const WINDOW_FLAG = Symbol.for('heapguard.leaks.window')
const flags = globalThis as unknown as Record<symbol, boolean | undefined>

const windowOpen = (): boolean => flags[WINDOW_FLAG] === true

/** What `getSamplingProfile` answers when no sampler runs. */
const NOT_STARTED = /not started/i

/**
 * V8's sampling heap profiler through an in-process `node:inspector` session. Opened for one
 * window, closed at its end. It starts the sampler only when none runs: one started by someone
 * else (an APM agent, DevTools) is never stopped or re-tuned, because a second `startSampling`
 * would silently keep the first one's interval and stopping from either side breaks the other's
 * reads.
 */
export class HeapSampler {
  readonly #session: Session
  #open = true
  /** True once this sampler set the process-wide window flag (and so clears it). */
  #flagged = false

  private constructor(session: Session) {
    this.#session = session
  }

  /** Connects, checks that no sampler runs, and starts one sampling every `intervalBytes` on average. */
  static async start(intervalBytes: number): Promise<HeapSampler> {
    if (windowOpen()) {
      throw new LeakCaptureError(
        'other-window',
        'another heapguard controller in this process has a window open (V8 has one sampler per process); try again when it ends',
      )
    }
    let module: InspectorModule
    try {
      module = await loadInspector()
    } catch (error) {
      throw new LeakCaptureError(
        'inspector',
        `node:inspector is not available in this Node.js build (${messageOf(error)}); heapguard needs it for V8's sampling heap profiler`,
        { cause: error },
      )
    }
    let session: Session
    try {
      session = new module.Session()
      session.connect()
    } catch (error) {
      throw new LeakCaptureError('inspector', `cannot connect an inspector session: ${messageOf(error)}`, {
        cause: error,
      })
    }
    const sampler = new HeapSampler(session)
    try {
      // Answered with an error when no sampler runs (and then without a GC); a profile means one does.
      const running = await sampler.#post('HeapProfiler.getSamplingProfile').then(
        () => true,
        (error: unknown) => {
          if (NOT_STARTED.test(messageOf(error))) return false
          throw error
        },
      )
      // Another controller may have started while this one was probing.
      if (windowOpen()) {
        throw new LeakCaptureError('other-window', 'another heapguard controller in this process opened a window first')
      }
      if (running) {
        throw new LeakCaptureError(
          'sampler-in-use',
          "V8's sampling heap profiler is already running, started by someone else (an APM agent's heap profiler, DevTools); there is one per process, and heapguard never stops or re-tunes a sampler it did not start. Turn that profiler off to capture here",
        )
      }
      await sampler.#post('HeapProfiler.startSampling', { samplingInterval: intervalBytes })
      flags[WINDOW_FLAG] = sampler.#flagged = true
      return sampler
    } catch (error) {
      sampler.#disconnect()
      if (error instanceof LeakCaptureError) throw error
      throw new LeakCaptureError('inspector', `cannot start the sampling heap profiler: ${messageOf(error)}`, {
        cause: error,
      })
    }
  }

  /**
   * The profile now: only what is alive, because reading it forces a full GC (V8 passes
   * `kSamplingForceGC`). In process the answer comes synchronously, inside that pause.
   */
  read(): Promise<HeapProfile> {
    return this.#post<{ profile: HeapProfile }>('HeapProfiler.getSamplingProfile').then((r) => r.profile)
  }

  /**
   * Stops the sampler and closes the session. `HeapProfiler.disable` stops the sampler this
   * session started without reading a profile (`stopSampling` would force one more full GC).
   * Idempotent; never throws.
   */
  stop(): void {
    if (!this.#open) return
    this.#post('HeapProfiler.disable').catch(() => {
      // Disconnecting below stops it too.
    })
    this.#disconnect()
  }

  #disconnect(): void {
    if (!this.#open) return
    this.#open = false
    if (this.#flagged) flags[WINDOW_FLAG] = this.#flagged = false
    try {
      this.#session.disconnect()
    } catch {
      // Already disconnected.
    }
  }

  #post<T = unknown>(method: string, params?: object): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        const done = (error: Error | null, result: unknown): void => (error ? reject(error) : resolve(result as T))
        if (params === undefined) this.#session.post(method, done)
        else this.#session.post(method, params, done)
      } catch (error) {
        reject(error)
      }
    })
  }
}
