import { checkOneOf } from '../../util/validate.js'
import type { Level } from '../levels.js'
import type { LevelChange, Logger, Sample } from '../types.js'

/**
 * The level bus: how a change of level reaches caches, admission, flags, tasks, level hooks and
 * user listeners, and in what order. Everything that orders a level change is in this file.
 *
 * The pressure controller decides that the effective level changed (a sample, `force()`,
 * `release()`, a timed force's expiry, a reservation's regrade) and calls `changed()`; a `mode`
 * switch calls `switchMode()`. Then, inside that same call:
 *
 * 1. **Applied level** (the rollout switch, contract §8). In enforce mode the applied level
 *    (`core.level`) becomes the effective one. In observe mode it stays `normal`: the preview
 *    hooks say what each subsystem would do, logged once; no state hook or level hook runs, the
 *    user's `'level'` listeners still hear the change. A `mode` switch is the reverse: it moves
 *    the applied level alone, so state and level hooks hear it and user listeners do not.
 * 2. **State** (`onLevelChange`), at once and in registration order: the caches resize, then
 *    admission and concurrency follow, then the flags switch (`src/controller.ts` builds them in
 *    that order), then each task pauses or resumes, in the order it was scheduled; limits and
 *    reservation lines read `core.level` when asked. Code right after `force()` sees the new
 *    level everywhere, even from inside a listener. User code runs here (flag `'change'`
 *    listeners, a registered cache's `resize`, lru-cache disposers reached from a trim), and
 *    it may change the level again: that nested change brings every state hook up to date and the
 *    outer loop stops (the generation check), so a state hook reads `core.level`, never
 *    `change.to`. Nesting deeper than `MAX_NESTED_CHANGES` is refused (`checkNesting`).
 * 3. **Events**, queued before the state hooks ran and delivered once the outermost change is
 *    complete (`flush`), in the order the changes happened, each `from` equal to the previous
 *    `to`: for each change the level hooks (`onLevelEvent`: `onLevel`), then the log line, then
 *    the user's `'level'` listeners; a sample's `'sample'` event in its place in that order. A
 *    change a listener makes is delivered after the current event has reached everyone; at most
 *    `MAX_EVENTS_PER_CALL` events are delivered per call.
 *
 * Every hook and listener is fault-isolated: a throw is reported on `'error'` and the next runs.
 * Sample hooks (`onSample`) run after each sample has settled the level, before its event.
 */

/** `'enforce'`: the subsystems apply the level. `'observe'`: they stay at `normal` and say what they would do. */
export type Mode = 'enforce' | 'observe'

export const MODES: readonly Mode[] = Object.freeze(['enforce', 'observe'])

/**
 * How deep level changes may nest: a flag listener that calls `force()` changes the level again
 * from inside a change. One that keeps doing so would otherwise overflow the stack.
 */
const MAX_NESTED_CHANGES = 100

/**
 * The most events one `sample()`/`force()`/`release()` call delivers. Listeners that keep
 * changing the level from inside a listener would otherwise loop forever.
 */
const MAX_EVENTS_PER_CALL = 1000

type Hook = (change: LevelChange) => void
type SampleHook = (sample: Sample) => void
type Preview = (change: LevelChange) => readonly string[]

/**
 * An event waiting for delivery. A level change goes to the level hooks when it is applied
 * (always in enforce mode; a mode switch applies one of its own) and to `'level'` listeners when
 * the effective level changed.
 */
type PendingEvent =
  { level: LevelChange; hooks: boolean; listeners: boolean; sample?: undefined } | { sample: Sample; level?: undefined }

/** Where the bus hands events to the user: the controller's `'sample'` and `'level'` listeners. */
export interface BusListeners {
  sample(sample: Sample): void
  level(change: LevelChange): void
}

export class LevelBus {
  #mode: Mode
  #applied: Level = 'normal'
  readonly #state = new Set<Hook>()
  readonly #events = new Set<Hook>()
  readonly #samples = new Set<SampleHook>()
  readonly #previews = new Set<Preview>()
  readonly #settling = new Set<() => boolean>()
  readonly #close: (() => void)[] = []
  #pending: PendingEvent[] = []
  #flushing = false
  /** How many level changes are running their state hooks now (nested when a hook changes the level). */
  #changing = 0
  /** Counts level changes: a state-hook loop stops once a nested change has updated every hook. */
  #generation = 0
  readonly #listeners: BusListeners
  readonly #logger: Logger
  readonly #report: (error: unknown) => void
  readonly #stopped: () => boolean

  constructor(
    mode: Mode,
    fields: { listeners: BusListeners; logger: Logger; report: (error: unknown) => void; closed: () => boolean },
  ) {
    this.#mode = mode
    this.#listeners = fields.listeners
    this.#logger = fields.logger
    this.#report = fields.report
    this.#stopped = fields.closed
  }

  get mode(): Mode {
    return this.#mode
  }

  /** The level the subsystems apply now (`core.level`). */
  get applied(): Level {
    return this.#applied
  }

  get observing(): boolean {
    return this.#mode === 'observe'
  }

  // Subscriptions (the subsystems', through `ControllerCore`); each returns its unsubscribe function.

  onLevelChange(fn: Hook): () => void {
    this.#state.add(fn)
    return () => this.#state.delete(fn)
  }

  onLevelEvent(fn: Hook): () => void {
    this.#events.add(fn)
    return () => this.#events.delete(fn)
  }

  onSample(fn: SampleHook): () => void {
    this.#samples.add(fn)
    return () => this.#samples.delete(fn)
  }

  onPreview(fn: Preview): () => void {
    this.#previews.add(fn)
    return () => this.#previews.delete(fn)
  }

  onSettling(probe: () => boolean): () => void {
    this.#settling.add(probe)
    return () => this.#settling.delete(probe)
  }

  onClose(fn: () => void): void {
    this.#close.push(fn)
  }

  /** Refuses a level change nested too deep in level-change callbacks, before anything changed. */
  checkNesting(where: string): void {
    if (this.nestedTooDeep) {
      throw new Error(
        `heapguard: ${where}() called from level-change callbacks nested ${MAX_NESTED_CHANGES} deep (a flag listener that keeps changing the level?); ignored`,
      )
    }
  }

  /** True when one more nested change would be refused (a regrade then waits for the next sample). */
  get nestedTooDeep(): boolean {
    return this.#changing >= MAX_NESTED_CHANGES
  }

  /** True while a subsystem is still carrying out a level change (a cache trimming in slices). */
  settling(): boolean {
    for (const probe of this.#settling) {
      try {
        if (probe()) return true
      } catch (error) {
        this.#report(error)
      }
    }
    return false
  }

  /** Steps 1 to 3 for a change of the effective level; the caller flushes once its call is done. */
  changed(change: LevelChange): void {
    const applied = this.#follow(change)
    // Queued before the hooks run: a change they cause is delivered after this one.
    this.#pending.push({ level: change, hooks: applied !== null, listeners: true })
    if (applied !== null) this.#changeState(applied)
  }

  /**
   * Switches the mode (a bad value throws, nothing changed). When the applied level moves (to
   * `effective` when enforcing, to `normal` when observing), the state hooks and the level hooks
   * hear of it, user listeners do not (the effective level is the same), and the events are
   * delivered at once.
   */
  switchMode(value: unknown, effective: Level, at: number, ratio: number): void {
    this.checkNesting('mode')
    const mode = checkOneOf('pressure.mode', 'the value', value, MODES)
    if (mode === this.#mode) return
    this.#mode = mode
    const to = mode === 'enforce' ? effective : 'normal'
    this.#log(`heapguard: mode ${mode === 'enforce' ? 'observe' : 'enforce'} -> ${mode} (subsystems now apply ${to})`)
    if (to === this.#applied) return
    const change: LevelChange = {
      from: this.#applied,
      to,
      at,
      ratio,
      forced: false,
      reason: `mode ${mode}: the subsystems apply ${to}`,
      cause: { kind: 'mode' },
    }
    this.#applied = to
    if (this.#stopped()) return
    this.#pending.push({ level: change, hooks: true, listeners: false })
    this.#changeState(change)
    this.flush()
  }

  /** A sample has settled the level: the sample hooks run now (time-driven state, cache regrowth). */
  sampled(sample: Sample): void {
    for (const hook of this.#samples) {
      try {
        hook(sample)
      } catch (error) {
        this.#report(error)
      }
    }
  }

  /** Queues the sample's `'sample'` event, after the changes that sample made. */
  queueSample(sample: Sample): void {
    this.#pending.push({ sample })
  }

  /**
   * Delivers what is queued, in order, synchronously. Nested inside a level change (a state hook
   * called `force()`) or inside a flush up the stack (a listener's call), it leaves the delivery
   * to the outer call, which delivers once its change is complete.
   */
  flush(): void {
    if (this.#changing !== 0 || this.#flushing) return
    this.#flushing = true
    try {
      for (let i = 0; i < this.#pending.length && !this.#stopped(); i++) {
        if (i === MAX_EVENTS_PER_CALL) {
          this.#report(
            new Error(
              `heapguard: listeners caused more than ${MAX_EVENTS_PER_CALL} events in one call (a listener that keeps changing the level?); the rest were dropped`,
            ),
          )
          break
        }
        this.#deliver(this.#pending[i]!)
      }
    } finally {
      // A fresh array is cheaper than truncating this one (setting .length is slow in V8).
      if (this.#pending.length > 0) this.#pending = []
      this.#flushing = false
    }
  }

  /** Runs the close hooks once, then forgets every hook. */
  close(): void {
    for (const hook of this.#close.splice(0)) {
      try {
        hook()
      } catch (error) {
        this.#report(error)
      }
    }
    this.#state.clear()
    this.#events.clear()
    this.#samples.clear()
    this.#previews.clear()
    this.#settling.clear()
  }

  /**
   * Step 1: in enforce mode the applied level moves with the change, which is returned for the
   * state hooks; in observe mode the subsystems' previews of what they would do are logged, once
   * for this transition, and null is returned.
   */
  #follow(change: LevelChange): LevelChange | null {
    if (this.#mode === 'enforce') {
      this.#applied = change.to
      return change
    }
    const actions: string[] = []
    for (const preview of this.#previews) {
      try {
        actions.push(...preview(change))
      } catch (error) {
        this.#report(error)
      }
    }
    const prefix = `heapguard (observe mode): ${change.from} -> ${change.to}: `
    for (const action of actions) this.#log(prefix + action)
    return null
  }

  /** Step 2: brings subsystem state to a change of the applied level. */
  #changeState(change: LevelChange): void {
    const generation = ++this.#generation
    this.#changing++
    try {
      for (const hook of this.#state) {
        this.#call(hook, change)
        // A hook that changed the level again has had that nested change bring every hook up to date.
        if (generation !== this.#generation) break
      }
    } finally {
      this.#changing--
    }
  }

  /** Step 3, one event: level hooks first (state has followed already), then the log line, then user listeners. */
  #deliver(event: PendingEvent): void {
    if (event.level === undefined) return this.#listeners.sample(event.sample)
    if (event.hooks) for (const hook of this.#events) this.#call(hook, event.level)
    if (!event.listeners) return
    logChange(this.#logger, event.level)
    this.#listeners.level(event.level)
  }

  #call(hook: Hook, change: LevelChange): void {
    try {
      hook(change)
    } catch (error) {
      this.#report(error)
    }
  }

  /** At `info`, or `warn` for a logger without one: what observe mode reports is what it is for. */
  #log(line: string): void {
    const logger = this.#logger
    const write = logger.info ?? logger.warn
    try {
      write?.call(logger, line)
    } catch {
      // a broken logger must not stop a level change
    }
  }
}

/** Logs a level change at `info`: `heapguard: memory pressure normal -> warning: heap 0.712 reached warning (0.7)`. */
function logChange(logger: Logger, { from, to, reason }: LevelChange): void {
  if (logger.info === undefined) return
  try {
    logger.info(`heapguard: memory pressure ${from} -> ${to}: ${reason}`)
  } catch {
    // a broken logger must not stop the level change
  }
}
