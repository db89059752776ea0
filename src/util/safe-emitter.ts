import { EventEmitter } from 'eventemitter3'
import type { Logger } from './logger.js'
import { checkFunction, checkOneOf } from './validate.js'

type Listener = (...args: unknown[]) => void
type EventMap = Record<string, unknown[]>

/**
 * eventemitter3 with fault isolation. eventemitter3 calls listeners in a plain loop, so one that
 * throws would skip the rest and escape into the timer that sampled. Here every listener is
 * wrapped: a throw is reported on `'error'` (or to the logger when nobody listens for errors, or
 * when an error listener itself throws) and the next listener still runs.
 *
 * `on`, `once` and `off` check their arguments (an unknown event name would never be called, a
 * non-function would fail at the first emit) with messages that name the API (`prefix + 'on'`).
 */
export class SafeEmitter<Events extends EventMap & { error: [Error] }> {
  readonly #emitter = new EventEmitter()
  /** original listener → its wrappers, per event (one per registration, as in EventEmitter). */
  readonly #wrappers = new Map<Listener, Map<string, Listener[]>>()

  readonly #names: readonly (keyof Events & string)[]
  readonly #prefix: string

  constructor(
    readonly logger: Logger,
    readonly label: string,
    /** The events listeners may subscribe to. */
    names: readonly (keyof Events & string)[],
    /** Put before `on`/`once`/`off` in messages: `'shed.'` gives `shed.on: …`. */
    prefix = '',
  ) {
    this.#names = names
    this.#prefix = prefix
  }

  on<E extends keyof Events & string>(event: E, fn: (...args: Events[E]) => void): void {
    this.#check('on', event, fn)
    this.#emitter.on(event, this.#wrap(event, fn as Listener, false))
  }

  once<E extends keyof Events & string>(event: E, fn: (...args: Events[E]) => void): void {
    this.#check('once', event, fn)
    this.#emitter.once(event, this.#wrap(event, fn as Listener, true))
  }

  off<E extends keyof Events & string>(event: E, fn?: (...args: Events[E]) => void): void {
    this.#check('off', event, fn, true)
    if (fn === undefined) {
      for (const [listener, byEvent] of this.#wrappers) {
        byEvent.delete(event)
        if (byEvent.size === 0) this.#wrappers.delete(listener)
      }
      this.#emitter.removeAllListeners(event)
      return
    }
    const list = this.#wrappers.get(fn as Listener)?.get(event)
    const wrapper = list?.pop()
    if (wrapper !== undefined) this.#emitter.removeListener(event, wrapper)
    if (list?.length === 0) this.#forget(fn as Listener, event)
  }

  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event)
  }

  removeAll(): void {
    this.#emitter.removeAllListeners()
    this.#wrappers.clear()
  }

  emit<E extends keyof Events & string>(event: E, ...args: Events[E]): void {
    this.#emitter.emit(event, ...args)
  }

  /** Reports a failure: to `'error'` listeners, else to the logger (never throws). */
  report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error))
    if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', err)
    else this.#log(err)
  }

  #log(err: Error): void {
    try {
      const log = this.logger.error ?? this.logger.warn
      // Our own errors already carry the label; a listener's error gets it so the log says where it came from.
      const text = err.message.startsWith(`${this.label}:`) ? err.message : `${this.label}: ${err.message}`
      // The error first: pino serialises an Error given first (stack included) and ignores extra
      // arguments after a message; console prints the stack, then the text.
      if (log) log.call(this.logger, err, text)
    } catch {
      // a logger that throws has nowhere left to report to
    }
  }

  #check(method: string, event: unknown, fn: unknown, optional = false): void {
    const where = this.#prefix + method
    checkOneOf(where, 'argument `event`', event, this.#names)
    if (!(optional && fn === undefined)) checkFunction(where, 'argument `fn`', fn)
  }

  #wrap(event: string, fn: Listener, once: boolean): Listener {
    const wrapper: Listener = (...args) => {
      if (once) this.#drop(fn, event, wrapper)
      try {
        fn(...args)
      } catch (error) {
        if (event === 'error') this.#log(error instanceof Error ? error : new Error(String(error)))
        else this.report(error)
      }
    }
    let byEvent = this.#wrappers.get(fn)
    if (byEvent === undefined) this.#wrappers.set(fn, (byEvent = new Map<string, Listener[]>()))
    const list = byEvent.get(event)
    if (list === undefined) byEvent.set(event, [wrapper])
    else list.push(wrapper)
    return wrapper
  }

  #drop(fn: Listener, event: string, wrapper: Listener): void {
    const list = this.#wrappers.get(fn)?.get(event)
    if (list === undefined) return
    const i = list.indexOf(wrapper)
    if (i !== -1) list.splice(i, 1)
    if (list.length === 0) this.#forget(fn, event)
  }

  #forget(fn: Listener, event: string): void {
    const byEvent = this.#wrappers.get(fn)
    byEvent?.delete(event)
    if (byEvent?.size === 0) this.#wrappers.delete(fn)
  }
}
