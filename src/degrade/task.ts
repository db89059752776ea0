import type { ControllerCore } from '../pressure/core.js'
import { atOrAbove, type Level, type ThresholdLevel } from '../pressure/levels.js'
import { brandError } from '../util/error-brand.js'
import { messageOf } from '../util/validate.js'

/** The work of a task. `signal` aborts when the task is stopped or the controller closes. */
export type TaskFn = (signal: AbortSignal) => unknown

/** One row of `pressure.tasks.list()` (the dashboard and the metrics read this shape). */
export interface TaskInfo {
  name: string
  intervalMs: number
  pauseAt: ThresholdLevel
  paused: boolean
  running: boolean
  runs: number
  failures: number
  /** When the last run started, by the controller's clock; null before the first run. */
  lastRunAt: number | null
  stopped: boolean
}

/**
 * A run that threw or rejected, reported on the controller's `'error'`; `cause` is what was thrown.
 * `instanceof TaskError` holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class TaskError extends Error {
  static {
    brandError(this, 'TaskError')
  }
  override readonly name = 'TaskError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_TASK'
  constructor(
    readonly task: string,
    cause: unknown,
  ) {
    super(`heapguard: task "${task}" failed: ${messageOf(cause)}`, { cause })
  }
}

/** What the scheduler hands a task it creates. */
export interface TaskLinks {
  /** The run in progress of the task this one replaces: this task's first run waits for it. */
  previous?: Promise<void>
  /** Told once when the task stops, so the scheduler forgets it. */
  onStop?: (task: Task) => void
}

/**
 * A background job that runs every `intervalMs` and pauses under pressure. The interval is the
 * delay between the END of one run and the start of the next, so runs of one task never overlap
 * however long they take. While paused no run starts; when the level falls back below `pauseAt`,
 * a task that missed a run while paused runs once at once, then resumes its rhythm.
 * Created by `pressure.tasks.every()`.
 */
export interface Task {
  readonly name: string
  readonly intervalMs: number
  readonly pauseAt: ThresholdLevel
  /** True while the effective level is at or above `pauseAt`. */
  readonly paused: boolean
  /** True while a run is in progress. */
  readonly running: boolean
  readonly runs: number
  /** Runs that threw or rejected. */
  readonly failures: number
  readonly lastRunAt: number | null
  readonly stopped: boolean
  /**
   * Runs the task now, even while paused (an operator's explicit request), unless it is stopped.
   * A run already in progress is not doubled: its promise is returned. The next scheduled run
   * comes `intervalMs` after this one ends. Never rejects: failures are reported.
   */
  runNow(): Promise<void>
  /**
   * Stops the task for good: no further run starts, the signal given to the run in progress is
   * aborted, and `tasks.list()` no longer shows it. Resolves when that run has settled (at once
   * when none is in progress).
   */
  stop(): Promise<void>
  info(): TaskInfo
}

/** The tasks `TaskScheduler` builds: a timer re-armed after each run, paused by the level the controller applies. */
export class ScheduledTask implements Task {
  readonly name: string
  readonly intervalMs: number
  readonly pauseAt: ThresholdLevel
  readonly #core: ControllerCore
  readonly #fn: TaskFn
  readonly #abort = new AbortController()
  readonly #unsubscribe: () => void
  readonly #onStop: ((task: Task) => void) | undefined
  /** The replaced task's run, until it settles: no run of this task starts before. */
  #previous: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #current: Promise<void> | undefined
  #paused: boolean
  /** A run fell due while paused: run once on resume. */
  #missed = false
  #stopped = false
  #runs = 0
  #failures = 0
  #lastRunAt: number | null = null

  constructor(
    core: ControllerCore,
    name: string,
    intervalMs: number,
    fn: TaskFn,
    pauseAt: ThresholdLevel,
    links: TaskLinks = {},
  ) {
    this.#core = core
    this.name = name
    this.intervalMs = intervalMs
    this.#fn = fn
    this.pauseAt = pauseAt
    this.#onStop = links.onStop
    const previous = links.previous
    if (previous !== undefined) {
      this.#previous = previous
      // The replaced task's run never rejects (its failures are reported), so this always clears.
      void previous.then(() => {
        if (this.#previous === previous) this.#previous = undefined
      })
    }
    this.#paused = atOrAbove(core.level, pauseAt)
    this.#unsubscribe = core.onLevelChange(() => this.#onLevel(core.level))
    this.#arm(intervalMs)
  }

  get paused(): boolean {
    return this.#paused
  }

  get running(): boolean {
    return this.#current !== undefined
  }

  get runs(): number {
    return this.#runs
  }

  get failures(): number {
    return this.#failures
  }

  get lastRunAt(): number | null {
    return this.#lastRunAt
  }

  get stopped(): boolean {
    return this.#stopped
  }

  runNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    clearTimeout(this.#timer)
    this.#timer = undefined
    return this.#run()
  }

  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#unsubscribe()
      this.#abort.abort(new Error(`heapguard: task "${this.name}" stopped`))
      this.#onStop?.(this)
    }
    return this.#current ?? Promise.resolve()
  }

  info(): TaskInfo {
    return {
      name: this.name,
      intervalMs: this.intervalMs,
      pauseAt: this.pauseAt,
      paused: this.#paused,
      running: this.#current !== undefined,
      runs: this.#runs,
      failures: this.#failures,
      lastRunAt: this.#lastRunAt,
      stopped: this.#stopped,
    }
  }

  #onLevel(level: Level): void {
    const paused = atOrAbove(level, this.pauseAt)
    if (paused === this.#paused) return
    this.#paused = paused
    // Not from inside the level change: the run starts on a later turn of the event loop.
    if (!paused && this.#missed) this.#arm(0)
  }

  #arm(delay: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(this.#due, delay)
    this.#timer.unref()
  }

  readonly #due = (): void => {
    this.#timer = undefined
    if (this.#stopped) return
    if (this.#paused) {
      // No re-arming while paused: a paused task costs no wake-ups. The resume starts the run.
      this.#missed = true
      return
    }
    this.#missed = false
    void this.#run()
  }

  #run(): Promise<void> {
    if (this.#current !== undefined) return this.#current
    const previous = this.#previous
    // A replacement never runs alongside the task it replaced: it waits for that run to settle.
    const work =
      previous === undefined ? this.#execute() : previous.then(() => (this.#stopped ? undefined : this.#execute()))
    // `.finally` always runs on a later microtask, after #current is set, even when fn throws at once.
    const run = work.finally(() => {
      this.#current = undefined
      if (!this.#stopped && this.#timer === undefined) this.#arm(this.intervalMs)
    })
    this.#current = run
    return run
  }

  async #execute(): Promise<void> {
    this.#runs++
    this.#lastRunAt = this.#core.now()
    try {
      await this.#fn(this.#abort.signal)
    } catch (error) {
      this.#failures++
      this.#core.report(new TaskError(this.name, error))
    }
  }
}
