import type { LevelChange, Sample } from '../types.js'

type Hook = (change: LevelChange) => void
type SampleHook = (sample: Sample) => void
type Preview = (change: LevelChange) => readonly string[]

/**
 * How deep level changes may nest: a flag listener that calls `force()` changes the level again
 * from inside a change. One that keeps doing so would otherwise overflow the stack.
 */
export const MAX_NESTED_CHANGES = 100

/** Refuses a level change nested too deep in level-change callbacks, before anything changed. */
export function checkNesting(where: string, depth: number): void {
  if (depth >= MAX_NESTED_CHANGES) {
    throw new Error(
      `heapguard: ${where}() called from level-change callbacks nested ${MAX_NESTED_CHANGES} deep (a flag listener that keeps changing the level?); ignored`,
    )
  }
}

/**
 * The subsystems' subscriptions to a controller (see `ControllerCore`): state hooks run at the
 * moment the applied level changes, event hooks in delivery order with the `'level'` event,
 * sample hooks after each sample has settled the level, previews in observe mode, close hooks
 * once, in registration order. Every hook is fault-isolated: a throw is reported and the next
 * hook still runs.
 */
export class SubsystemHooks {
  readonly #state = new Set<Hook>()
  readonly #events = new Set<Hook>()
  readonly #samples = new Set<SampleHook>()
  readonly #previews = new Set<Preview>()
  readonly #settling = new Set<() => boolean>()
  readonly #close: (() => void)[] = []
  readonly #report: (error: unknown) => void

  constructor(report: (error: unknown) => void) {
    this.#report = report
  }

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

  onClose(fn: () => void): void {
    this.#close.push(fn)
  }

  /** Brings subsystem state to the change; stops early once `superseded()` says a nested change has done so. */
  changeState(change: LevelChange, superseded: () => boolean): void {
    for (const hook of this.#state) {
      this.#call(hook, change)
      if (superseded()) break
    }
  }

  deliver(change: LevelChange): void {
    for (const hook of this.#events) this.#call(hook, change)
  }

  sampled(sample: Sample): void {
    for (const hook of this.#samples) {
      try {
        hook(sample)
      } catch (error) {
        this.#report(error)
      }
    }
  }

  /** What every subsystem would do for `change`, one sentence per action (observe mode). */
  preview(change: LevelChange): string[] {
    const actions: string[] = []
    for (const preview of this.#previews) {
      try {
        actions.push(...preview(change))
      } catch (error) {
        this.#report(error)
      }
    }
    return actions
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

  #call(hook: Hook, change: LevelChange): void {
    try {
      hook(change)
    } catch (error) {
      this.#report(error)
    }
  }
}
