import { createController, type Controller, type ControllerOptions } from '../controller.js'
import { warnOnce } from '../util/warn-once.js'

/** One slot per process, whichever copy of heapguard (ESM, CJS, a reloaded bundle) got there first. */
const KEY = Symbol.for('heapguard.controller')

interface Slot {
  controller: Controller
  fingerprint: string
  /** Kept in the slot, not in this module: a reloaded copy of the module must not warn again. */
  warned: boolean
}

type Global = typeof globalThis & { [KEY]?: Slot }

/**
 * The process's one controller, kept under `Symbol.for('heapguard.controller')` on `globalThis`.
 * Module reloads (Next.js dev, Vite SSR) and duplicate copies of the package (ESM + CJS) all get
 * the same controller, so samplers, timers and GC observers never stack up.
 *
 * - The first call builds it with `options`; later calls return it and ignore their options.
 *   When those options differ from the first call's (compared by value; functions by their
 *   source text, so a reloaded module's identical options count as the same), a warning is
 *   emitted once per controller: `close()` it to apply new ones.
 * - Called without an argument it takes the shared controller as it is, never warning: that is
 *   how code that only uses the controller (`withPressure` from `heapguard/web`) finds the one
 *   the application built with its options. With none built yet, it builds one with the defaults.
 * - A closed shared controller is replaced by a new one on the next call.
 * - Bad options throw as for `createController`, with messages that name `sharedController`.
 */
export function sharedController(options?: ControllerOptions): Controller {
  const g = globalThis as Global
  const slot = g[KEY]
  if (options === undefined && slot !== undefined && isLive(slot.controller)) return slot.controller
  const fingerprint = fingerprintOf(options ?? {})
  if (slot !== undefined && isLive(slot.controller)) {
    if (slot.fingerprint !== fingerprint && !slot.warned) {
      slot.warned = true
      warnOnce(
        'HEAPGUARD_SHARED_OPTIONS_DIFFER',
        'heapguard: sharedController() called with options that differ from those the shared controller was built with; the existing controller is returned (close() it first to apply new options)',
      )
    }
    return slot.controller
  }
  let controller: Controller
  try {
    controller = createController(options)
  } catch (error) {
    throw calledAs('sharedController', error)
  }
  g[KEY] = { controller, fingerprint, warned: false }
  return controller
}

const BUILDER = 'createController:'

/**
 * The options are checked by `createController`, whose messages begin with its name; the caller
 * called `sharedController`, so the message (and the stack's first line) names that instead.
 */
function calledAs(api: string, error: unknown): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError) || !error.message.startsWith(BUILDER)) return error
  const message = `${api}:${error.message.slice(BUILDER.length)}`
  if (error.stack !== undefined) error.stack = error.stack.replace(error.message, message)
  error.message = message
  return error
}

function isLive(controller: unknown): boolean {
  return typeof controller === 'object' && controller !== null && (controller as { closed?: unknown }).closed === false
}

/**
 * A stable text for comparing options by value: plain data as JSON-like text with sorted keys,
 * functions by their source, other objects (a logger, a class instance) by their own fields a few
 * levels deep. Bounded, and safe on cycles.
 */
function fingerprintOf(value: unknown, depth = 0, seen = new Set<object>()): string {
  if (typeof value === 'function') return `fn(${String(value)})`
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return String(value)
  if (value === null || typeof value !== 'object') return value === undefined ? 'undefined' : JSON.stringify(value)
  if (seen.has(value) || depth > 4) return '…'
  seen.add(value)
  const inner = Array.isArray(value)
    ? `[${value.map((v) => fingerprintOf(v, depth + 1, seen)).join(',')}]`
    : `{${Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${fingerprintOf((value as Record<string, unknown>)[k], depth + 1, seen)}`)
        .join(',')}}`
  seen.delete(value)
  return inner
}
