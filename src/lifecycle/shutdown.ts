import type { ControllerCore } from '../pressure/core.js'
import { checkFunction, checkNumber, checkOptions, checkString, MAX_TIMER_MS, messageOf } from '../util/validate.js'
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  listenForSignals,
  resolveSignalOptions,
  signalExitCode,
  type CloseOnSignalsOptions,
} from './signals.js'
import type { ShutdownHook, ShutdownHookOptions, ShutdownOptions } from './types.js'
import { TimeoutError } from '../util/errors.js'

interface Registered {
  fn: ShutdownHook
  name: string | undefined
}

/**
 * Graceful shutdown: hooks run one after the other in registration order, within a timeout,
 * then the controller closes. `closeOnSignals()` starts it on SIGINT/SIGTERM and then lets the
 * process exit with the usual code. Reach it through `pressure.onShutdown()`,
 * `pressure.shutdown()` and `pressure.closeOnSignals()`.
 */
export class Shutdown {
  readonly #core: ControllerCore
  readonly #close: () => void
  #hooks: Registered[] = []
  #running: Promise<void> | undefined
  #removeSignals: (() => void) | undefined

  constructor(core: ControllerCore, close: () => void) {
    this.#core = core
    this.#close = close
    core.onClose(() => this.#removeSignals?.())
  }

  /** Registers a hook; returns the function that removes it. */
  add(fn: ShutdownHook, options: ShutdownHookOptions = {}): () => void {
    checkFunction('onShutdown', 'argument `fn`', fn)
    const { name } = checkOptions<ShutdownHookOptions>('onShutdown', 'options', options, ['name'])
    if (name !== undefined) {
      checkString('onShutdown', 'option `name`', name)
      this.#hooks = this.#hooks.filter((h) => h.name !== name)
    }
    const hook: Registered = { fn, name }
    this.#hooks.push(hook)
    return () => {
      this.#hooks = this.#hooks.filter((h) => h !== hook)
    }
  }

  /**
   * Runs the hooks in order, each awaited, all within `timeoutMs`, then closes the controller.
   * A hook that throws is reported and the next one runs; past the timeout the signal given to
   * the hooks aborts, a TimeoutError is reported and the controller closes without waiting more.
   * Calling it again returns the same promise. Never rejects.
   */
  run(options: ShutdownOptions = {}): Promise<void> {
    const { reason = 'shutdown', timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS } = checkOptions<ShutdownOptions>(
      'shutdown',
      'options',
      options,
      ['reason', 'timeoutMs'],
    )
    checkString('shutdown', 'option `reason`', reason)
    checkNumber('shutdown', 'option `timeoutMs`', timeoutMs, { above: 0, max: MAX_TIMER_MS })
    return (this.#running ??= this.#execute(reason, timeoutMs))
  }

  /**
   * On the first of `signals`: runs `shutdown()` and then, unless `exit: false`, re-raises the
   * signal so the process ends as it would have without a handler (exit code 128 + the signal's
   * number); a second signal exits at once. Calling it again replaces the earlier installation.
   * Returns the function that removes the handlers (done by `close()` too).
   */
  closeOnSignals(options: CloseOnSignalsOptions = {}): () => void {
    const { signals, timeoutMs, hooks, exit } = resolveSignalOptions(options)
    if (this.#core.closed) throw new Error('heapguard: closeOnSignals() called after close()')
    this.#removeSignals?.()
    const removeHooks = hooks.map((fn) => this.add(fn))
    let received: NodeJS.Signals | undefined
    const stopListening = listenForSignals(signals, (signal) => {
      const code = signalExitCode(signal)
      if (received !== undefined) {
        // A second signal while shutting down: the operator insists.
        process.exit(code)
      }
      received = signal
      // Whatever happens next, a process that ends by itself reports the signal.
      if (exit) process.exitCode = code
      void this.run({ reason: signal, timeoutMs }).then(() => {
        uninstall()
        if (exit) reraise(signal, code)
      })
    })
    const uninstall = (): void => {
      stopListening()
      for (const remove of removeHooks) remove()
      if (this.#removeSignals === uninstall) this.#removeSignals = undefined
    }
    this.#removeSignals = uninstall
    return uninstall
  }

  async #execute(reason: string, timeoutMs: number): Promise<void> {
    const abort = new AbortController()
    const hooks = [...this.#hooks]
    const all = (async () => {
      for (const hook of hooks) {
        if (abort.signal.aborted) return
        try {
          await hook.fn({ reason, signal: abort.signal })
        } catch (error) {
          const name = hook.name ?? (hook.fn.name || 'anonymous')
          this.#core.report(
            new Error(`heapguard: shutdown hook "${name}" failed: ${messageOf(error)}`, {
              cause: error,
            }),
          )
        }
      }
    })()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<true>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, true)
      timer.unref()
    })
    const timedOut = await Promise.race([all.then(() => false), late])
    clearTimeout(timer)
    if (timedOut) {
      const error = new TimeoutError(timeoutMs, 'shutdown hooks')
      abort.abort(error)
      this.#core.report(error)
    }
    try {
      this.#close()
    } catch (error) {
      this.#core.report(error)
    }
  }
}

/**
 * Ends the process as the signal would have: with no other listener left, the default action
 * (the parent sees the signal, a shell sees 128 + its number); otherwise `process.exit(128 + n)`.
 */
function reraise(signal: NodeJS.Signals, code: number): void {
  if (process.platform !== 'win32' && process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  else process.exit(code)
}

export type { ShutdownContext, ShutdownHook, ShutdownHookOptions, ShutdownOptions } from './types.js'
