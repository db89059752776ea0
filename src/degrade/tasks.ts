import type { ControllerCore } from '../pressure/core.js'
import { atOrAbove, THRESHOLD_LEVELS, type ThresholdLevel } from '../pressure/levels.js'
import { checkFunction, checkNumber, checkOneOf, checkOptions, checkString, MAX_TIMER_MS } from '../util/validate.js'
import { ScheduledTask, type Task, type TaskFn, type TaskInfo } from './task.js'

export interface TaskOptions {
  /** The task pauses at this level and above. Default `'warning'`. */
  pauseAt?: ThresholdLevel
}

/**
 * Background tasks that pause under memory pressure. Timers are unref'd (a task never keeps the
 * process alive) and every task stops when the controller closes. Reach it as `pressure.tasks`.
 */
export interface TaskScheduler {
  /**
   * Runs `fn` every `intervalMs` (between the end of a run and the start of the next), paused
   * while the effective level is at or above `pauseAt`. The first run comes after `intervalMs`.
   * A name is the task's identity: registering a name again stops the earlier task and replaces
   * it, so module reloads replace tasks instead of stacking them. The two never run at once: when
   * the earlier task is in the middle of a run, the new task's first run waits for it to end.
   */
  every(name: string, intervalMs: number, fn: TaskFn, options?: TaskOptions): Task
  /** The live task registered under `name`, or undefined (a stopped task is forgotten). */
  get(name: string): Task | undefined
  /** Every live task with its state, in registration order; stopped tasks are not kept. */
  list(): TaskInfo[]
}

/** The controller's `TaskScheduler`: live tasks by name, all stopped when the controller closes. */
export class TaskRegistry implements TaskScheduler {
  readonly #core: ControllerCore
  readonly #tasks = new Map<string, Task>()

  constructor(core: ControllerCore) {
    this.#core = core
    // Observe mode: which tasks a change of the effective level would pause or resume.
    core.onPreview(({ from, to }) => {
      const actions: string[] = []
      for (const task of this.#tasks.values()) {
        const paused = atOrAbove(to, task.pauseAt)
        if (paused !== atOrAbove(from, task.pauseAt)) {
          actions.push(`task ${JSON.stringify(task.name)} would ${paused ? 'pause' : 'resume'}`)
        }
      }
      return actions
    })
    core.onClose(() => {
      // A copy: each task leaves the map as it stops.
      for (const task of [...this.#tasks.values()]) void task.stop()
    })
  }

  every(name: string, intervalMs: number, fn: TaskFn, options: TaskOptions = {}): Task {
    const W = 'tasks.every'
    checkString(W, 'argument `name`', name)
    checkNumber(W, 'argument `intervalMs`', intervalMs, { above: 0, max: MAX_TIMER_MS })
    checkFunction(W, 'argument `fn`', fn)
    const { pauseAt = 'warning' } = checkOptions<TaskOptions>(W, 'options', options, ['pauseAt'])
    checkOneOf(W, 'option `pauseAt`', pauseAt, THRESHOLD_LEVELS)
    if (this.#core.closed) throw new Error(`heapguard: tasks.every("${name}") called after close()`)
    // Stopping it also takes it out of the map; the new task goes in at the end, so list() shows
    // tasks in the order they were (re)registered. `stop()` resolves once its run in progress ends.
    const previous = this.#tasks.get(name)?.stop()
    const task = new ScheduledTask(this.#core, name, intervalMs, fn, pauseAt, { previous, onStop: this.#forget })
    this.#tasks.set(name, task)
    return task
  }

  get(name: string): Task | undefined {
    return this.#tasks.get(name)
  }

  list(): TaskInfo[] {
    return [...this.#tasks.values()].map((task) => task.info())
  }

  /** A stopped task leaves the map, so tasks with dynamic names do not pile up. */
  readonly #forget = (task: Task): void => {
    if (this.#tasks.get(task.name) === task) this.#tasks.delete(task.name)
  }
}
