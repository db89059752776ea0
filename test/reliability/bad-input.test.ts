import { QueryClient } from '@tanstack/query-core'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import {
  cgroupSource,
  compareHeapProfiles,
  createController,
  estimateSize,
  eventLoopSource,
  externalSource,
  heapSource,
  inBatches,
  PageError,
  rssSource,
  sharedController,
  withTimeout,
  type Controller,
  type ControllerOptions,
  type Managed,
} from '../../src/index.js'
import { heapguardFastify } from '../../src/fastify.js'
import { dashboardHandler, healthHandler } from '../../src/http.js'
import { collectMetrics as collectOtelMetrics } from '../../src/otel.js'
import { collectMetrics } from '../../src/prometheus.js'
import { manageQueryCache } from '../../src/query.js'
import { toPprof } from '../../src/pprof.js'
import { heapguardHono } from '../../src/hono.js'
import {
  dashboardHandler as webDashboardHandler,
  healthHandler as webHealthHandler,
  metricsHandler,
  withPressure,
} from '../../src/web.js'

// The bad-input table: every option of every public constructor and function, with wrong types
// and out-of-range values. The contract's rule: a wrong type is a TypeError, a value out of range
// a RangeError, thrown at the call (or, for functions that return a promise, as its rejection and
// never at the call: see REJECTS), with a message that names the option — and the value received,
// where the value says something.
// The cases are counted, and the count is pinned below and quoted in the README.

type ErrorClass = new (...args: any[]) => Error

interface Case {
  /** The public function or method called. */
  fn: string
  /** What is wrong, for the test title. */
  input: string
  call: () => unknown
  error: ErrorClass
  /** Text the message must contain: the option's name, as the message writes it. */
  names: string
  /** Text naming the value received (as `describe()` writes it), where the message should echo it. */
  value?: string
}

const cases: Case[] = []
/** Adds one case; `value` defaults to none. */
function bad(fn: string, input: string, call: () => unknown, error: ErrorClass, names: string, value?: string): void {
  cases.push({ fn, input, call, error, names, ...(value === undefined ? {} : { value }) })
}

const fake = () => ({ name: 'fake', read: () => ({ used: 0, limit: 1 }) })
const controllers: Controller[] = []
/** A controller that starts nothing: no timer, no GC observer, no real source. */
function ctl(options: ControllerOptions = {}): Controller {
  const pressure = createController({ autoStart: false, sources: [fake()], now: () => 0, ...options })
  controllers.push(pressure)
  return pressure
}
const as = <T = never>(value: unknown) => value as T
const noop = () => {}
const stats = () => ({
  name: 'm',
  priority: 'normal' as const,
  entries: 0,
  bytes: 0,
  capacity: 0,
  multiplier: 1,
  hits: 0,
  misses: 0,
  evictions: 0,
  hitRatio: 0,
})

afterAll(() => {
  for (const pressure of controllers) pressure.close()
})

// ---- createController: the pressure options -------------------------------------------------
{
  const C = 'createController'
  const make = (options: unknown) => () => ctl(as<ControllerOptions>(options))
  bad(C, 'options: a string', () => createController(as('fast')), TypeError, 'options', '"fast" (string)')
  bad(C, 'options: an array', () => createController(as([])), TypeError, 'options', 'an array')
  bad(C, 'options: null', () => createController(as(null)), TypeError, 'options', 'null')
  bad(C, 'an unknown option', make({ intervalMS: 5 }), TypeError, '`intervalMS`')
  bad(
    C,
    'sources: a string',
    () => createController(as({ sources: 'heap' })),
    TypeError,
    '`sources`',
    '"heap" (string)',
  )
  bad(C, 'sources: empty', () => createController({ sources: [] }), RangeError, '`sources`')
  bad(C, 'sources[0]: null', () => createController(as({ sources: [null] })), TypeError, '`sources[0]`', 'null')
  bad(
    C,
    'sources[0].name: empty',
    () => createController(as({ sources: [{ name: '', read: noop }] })),
    TypeError,
    '`sources[0].name`',
    '"" (string)',
  )
  bad(
    C,
    'sources[0].name: a number',
    () => createController(as({ sources: [{ name: 5, read: noop }] })),
    TypeError,
    '`sources[0].name`',
    '5 (number)',
  )
  bad(
    C,
    'sources[1].read: missing',
    () => createController(as({ sources: [fake(), { name: 'b' }] })),
    TypeError,
    '`sources[1].read`',
    'undefined',
  )
  bad(
    C,
    'sources[0].read: a string',
    () => createController(as({ sources: [{ name: 'a', read: 'x' }] })),
    TypeError,
    '`sources[0].read`',
    '"x" (string)',
  )
  bad(
    C,
    'sources: two named alike',
    () => createController({ sources: [fake(), fake()] }),
    TypeError,
    '`sources`',
    '"fake"',
  )
  bad(C, 'thresholds: a number', make({ thresholds: 0.7 }), TypeError, '`thresholds`', '0.7 (number)')
  bad(C, 'thresholds: an unknown level', make({ thresholds: { warn: 0.5 } }), TypeError, '`warn`')
  bad(
    C,
    'thresholds.warning: a string',
    make({ thresholds: { warning: '0.7' } }),
    TypeError,
    '`thresholds.warning`',
    '"0.7" (string)',
  )
  bad(
    C,
    'thresholds.warning: NaN',
    make({ thresholds: { warning: Number.NaN } }),
    RangeError,
    '`thresholds.warning`',
    'NaN (number)',
  )
  bad(
    C,
    'thresholds.warning: 0',
    make({ thresholds: { warning: 0 } }),
    RangeError,
    '`thresholds.warning`',
    '0 (number)',
  )
  bad(
    C,
    'thresholds.warning: negative',
    make({ thresholds: { warning: -0.1 } }),
    RangeError,
    '`thresholds.warning`',
    '-0.1 (number)',
  )
  bad(
    C,
    'thresholds.emergency: above 1',
    make({ thresholds: { emergency: 1.5 } }),
    RangeError,
    '`thresholds.emergency`',
    '1.5 (number)',
  )
  bad(
    C,
    'thresholds.critical: Infinity',
    make({ thresholds: { critical: Infinity } }),
    RangeError,
    '`thresholds.critical`',
    'Infinity (number)',
  )
  bad(
    C,
    'thresholds: not increasing',
    make({ thresholds: { warning: 0.9 } }),
    RangeError,
    '`thresholds`',
    'warning 0.9',
  )
  bad(C, 'hysteresis: a string', make({ hysteresis: '0.05' }), TypeError, '`hysteresis`', '"0.05" (string)')
  bad(C, 'hysteresis: negative', make({ hysteresis: -0.01 }), RangeError, '`hysteresis`', '-0.01 (number)')
  bad(C, 'hysteresis: NaN', make({ hysteresis: Number.NaN }), RangeError, '`hysteresis`', 'NaN (number)')
  bad(C, 'hysteresis: not below warning', make({ hysteresis: 0.7 }), RangeError, '`hysteresis`', '0.7')
  bad(C, 'recoveryMs: a string', make({ recoveryMs: '5s' }), TypeError, '`recoveryMs`', '"5s" (string)')
  bad(C, 'recoveryMs: negative', make({ recoveryMs: -1 }), RangeError, '`recoveryMs`', '-1 (number)')
  bad(C, 'recoveryMs: Infinity', make({ recoveryMs: Infinity }), RangeError, '`recoveryMs`', 'Infinity (number)')
  bad(C, 'intervalMs: a string', make({ intervalMs: '1000' }), TypeError, '`intervalMs`', '"1000" (string)')
  bad(C, 'intervalMs: 0', make({ intervalMs: 0 }), RangeError, '`intervalMs`', '0 (number)')
  bad(C, 'intervalMs: negative', make({ intervalMs: -5 }), RangeError, '`intervalMs`', '-5 (number)')
  bad(C, 'intervalMs: beyond a timer', make({ intervalMs: 2 ** 31 }), RangeError, '`intervalMs`', '2147483648 (number)')
  bad(C, 'intervalMs: NaN', make({ intervalMs: Number.NaN }), RangeError, '`intervalMs`', 'NaN (number)')
  bad(C, 'fastIntervalMs: a boolean', make({ fastIntervalMs: true }), TypeError, '`fastIntervalMs`', 'true (boolean)')
  bad(C, 'fastIntervalMs: 0', make({ fastIntervalMs: 0 }), RangeError, '`fastIntervalMs`', '0 (number)')
  bad(C, 'fastIntervalMs: above intervalMs', make({ fastIntervalMs: 2000 }), RangeError, '`fastIntervalMs`', '2000')
  bad(C, 'sampleOnGc: a string', make({ sampleOnGc: 'yes' }), TypeError, '`sampleOnGc`', '"yes" (string)')
  bad(C, 'sampleOnGc: a number', make({ sampleOnGc: 1 }), TypeError, '`sampleOnGc`', '1 (number)')
  bad(C, 'gcCoalesceMs: negative', make({ gcCoalesceMs: -1 }), RangeError, '`gcCoalesceMs`', '-1 (number)')
  bad(C, 'gcCoalesceMs: a string', make({ gcCoalesceMs: '5' }), TypeError, '`gcCoalesceMs`', '"5" (string)')
  bad(C, 'autoStart: a string', make({ autoStart: 'false' }), TypeError, '`autoStart`', '"false" (string)')
  bad(C, 'autoStart: a number', make({ autoStart: 0 }), TypeError, '`autoStart`', '0 (number)')
  bad(C, 'now: a string', make({ now: 'Date.now' }), TypeError, '`now`', '"Date.now" (string)')
  bad(C, 'now: returns a string', make({ now: () => 'later' }), TypeError, '`now`', '"later" (string)')
  bad(C, 'now: returns NaN', make({ now: () => Number.NaN }), RangeError, '`now`', 'NaN (number)')
  bad(C, 'historySize: 0', make({ historySize: 0 }), RangeError, '`historySize`', '0 (number)')
  bad(C, 'historySize: fractional', make({ historySize: 1.5 }), RangeError, '`historySize`', '1.5 (number)')
  bad(
    C,
    'historySize: beyond an array',
    make({ historySize: 2 ** 32 }),
    RangeError,
    '`historySize`',
    '4294967296 (number)',
  )
  bad(C, 'historySize: a string', make({ historySize: '600' }), TypeError, '`historySize`', '"600" (string)')
  bad(C, 'logger: a string', make({ logger: 'console' }), TypeError, '`logger`', '"console" (string)')
  bad(C, 'logger: null', make({ logger: null }), TypeError, '`logger`', 'null')
  bad(C, 'logger.info: a string', make({ logger: { info: 'x' } }), TypeError, '`logger.info`', '"x" (string)')
  bad(C, 'logger.error: a number', make({ logger: { error: 5 } }), TypeError, '`logger.error`', '5 (number)')
  bad(C, 'subscribeGc: an object', make({ subscribeGc: {} }), TypeError, '`subscribeGc`', 'an object')
  bad(C, "mode: 'dry-run'", make({ mode: 'dry-run' }), RangeError, '`mode`', '"dry-run" (string)')
  bad(C, 'mode: a boolean', make({ mode: true }), TypeError, '`mode`', 'true (boolean)')
}

// ---- createController: cachePolicy, shed, emergency -----------------------------------------
{
  const C = 'createController'
  const make = (options: unknown) => () => ctl(as<ControllerOptions>(options))
  bad(C, 'cachePolicy: a string', make({ cachePolicy: 'strict' }), TypeError, 'cachePolicy', '"strict" (string)')
  bad(C, 'regrowMs: negative', make({ regrowMs: -1 }), RangeError, '`regrowMs`', '-1 (number)')
  bad(C, 'regrowMs: a string', make({ regrowMs: '30s' }), TypeError, '`regrowMs`', '"30s" (string)')
  bad(C, 'regrowMs: beyond a timer', make({ regrowMs: 2 ** 31 }), RangeError, '`regrowMs`', '2147483648 (number)')
  bad(C, 'cachePolicy: an unknown level', make({ cachePolicy: { busy: {} } }), TypeError, '`busy`')
  bad(
    C,
    'cachePolicy.warning: a number',
    make({ cachePolicy: { warning: 0.5 } }),
    TypeError,
    'cachePolicy.warning',
    '0.5 (number)',
  )
  bad(
    C,
    'cachePolicy.warning: an unknown priority',
    make({ cachePolicy: { warning: { cold: 0.5 } } }),
    TypeError,
    '`cold`',
  )
  bad(
    C,
    'cachePolicy.warning.normal: above 1',
    make({ cachePolicy: { warning: { normal: 1.5 } } }),
    RangeError,
    '`cachePolicy.warning.normal`',
    '1.5 (number)',
  )
  bad(
    C,
    'cachePolicy.warning.normal: negative',
    make({ cachePolicy: { warning: { normal: -0.1 } } }),
    RangeError,
    '`cachePolicy.warning.normal`',
    '-0.1 (number)',
  )
  bad(
    C,
    'cachePolicy.critical.optional: a string',
    make({ cachePolicy: { critical: { optional: '0' } } }),
    TypeError,
    '`cachePolicy.critical.optional`',
    '"0" (string)',
  )
  bad(
    C,
    'cachePolicy.emergency.essential: NaN',
    make({ cachePolicy: { emergency: { essential: Number.NaN } } }),
    RangeError,
    '`cachePolicy.emergency.essential`',
    'NaN (number)',
  )

  bad(C, 'shed: a string', make({ shed: 'on' }), TypeError, '`shed`', '"on" (string)')
  bad(C, 'shed: an unknown option', make({ shed: { limit: 5 } }), TypeError, '`limit`')
  bad(
    C,
    'shed.admission: a string',
    make({ shed: { admission: 'low' } }),
    TypeError,
    '`shed.admission`',
    '"low" (string)',
  )
  bad(C, 'shed.admission: an unknown level', make({ shed: { admission: { busy: 'low' } } }), TypeError, '`busy`')
  bad(
    C,
    'shed.admission.critical: a number',
    make({ shed: { admission: { critical: 5 } } }),
    TypeError,
    '`shed.admission.critical`',
    '5 (number)',
  )
  bad(
    C,
    'shed.admission.critical: an unknown priority',
    make({ shed: { admission: { critical: 'urgent' } } }),
    RangeError,
    '`shed.admission.critical`',
    '"urgent" (string)',
  )
  bad(
    C,
    'shed.admission.critical[0]: a number',
    make({ shed: { admission: { critical: [5] } } }),
    TypeError,
    '`shed.admission.critical[0]`',
    '5 (number)',
  )
  bad(
    C,
    'shed.admission.emergency: without critical',
    make({ shed: { admission: { emergency: ['high'] } } }),
    RangeError,
    '`shed.admission.emergency`',
    "'high'",
  )
  bad(
    C,
    'shed.admission.emergency: a priority twice',
    make({ shed: { admission: { emergency: ['critical', 'critical'] } } }),
    RangeError,
    '`shed.admission.emergency`',
    "'critical'",
  )
  bad(
    C,
    'shed.admission: a higher level admits more',
    make({ shed: { admission: { warning: 'high', critical: 'normal' } } }),
    RangeError,
    '`shed.admission`',
    "'normal'",
  )
  bad(
    C,
    'shed.concurrency: a number',
    make({ shed: { concurrency: 5 } }),
    TypeError,
    '`shed.concurrency`',
    '5 (number)',
  )
  bad(C, 'shed.concurrency: an unknown level', make({ shed: { concurrency: { busy: 1 } } }), TypeError, '`busy`')
  bad(
    C,
    'shed.concurrency.critical: 0',
    make({ shed: { concurrency: { critical: 0 } } }),
    RangeError,
    '`shed.concurrency.critical`',
    '0 (number)',
  )
  bad(
    C,
    'shed.concurrency.critical: fractional',
    make({ shed: { concurrency: { critical: 1.5 } } }),
    RangeError,
    '`shed.concurrency.critical`',
    '1.5 (number)',
  )
  bad(
    C,
    'shed.concurrency.critical: a string',
    make({ shed: { concurrency: { critical: '10' } } }),
    TypeError,
    '`shed.concurrency.critical`',
    '"10" (string)',
  )
  bad(
    C,
    'shed.concurrency: a higher level lets more run',
    make({ shed: { concurrency: { warning: 10, critical: 20 } } }),
    RangeError,
    '`shed.concurrency.critical`',
    '20',
  )
  bad(C, 'shed.queue: a number', make({ shed: { queue: 100 } }), TypeError, '`shed.queue`', '100 (number)')
  bad(C, 'shed.queue: an unknown option', make({ shed: { queue: { length: 1 } } }), TypeError, '`length`')
  bad(
    C,
    'shed.queue.size: negative',
    make({ shed: { queue: { size: -1 } } }),
    RangeError,
    '`shed.queue.size`',
    '-1 (number)',
  )
  bad(
    C,
    'shed.queue.size: fractional',
    make({ shed: { queue: { size: 1.5 } } }),
    RangeError,
    '`shed.queue.size`',
    '1.5 (number)',
  )
  bad(
    C,
    'shed.queue.timeoutMs: 0',
    make({ shed: { queue: { timeoutMs: 0 } } }),
    RangeError,
    '`shed.queue.timeoutMs`',
    '0 (number)',
  )
  bad(
    C,
    'shed.queue.timeoutMs: a string',
    make({ shed: { queue: { timeoutMs: '1s' } } }),
    TypeError,
    '`shed.queue.timeoutMs`',
    '"1s" (string)',
  )
  bad(
    C,
    'shed.retryAfter: negative',
    make({ shed: { retryAfter: -1 } }),
    RangeError,
    '`shed.retryAfter`',
    '-1 (number)',
  )
  bad(
    C,
    'shed.retryAfter: fractional',
    make({ shed: { retryAfter: 1.5 } }),
    RangeError,
    '`shed.retryAfter`',
    '1.5 (number)',
  )
  bad(
    C,
    'shed.retryAfter: a string',
    make({ shed: { retryAfter: '10' } }),
    TypeError,
    '`shed.retryAfter`',
    '"10" (string)',
  )

  bad(C, 'emergency: a boolean', make({ emergency: true }), TypeError, 'emergency', 'true (boolean)')
  bad(C, 'emergency: an unknown option', make({ emergency: { gcAt: 'critical' } }), TypeError, '`gcAt`')
  bad(
    C,
    "emergency.gc: 'normal'",
    make({ emergency: { gc: 'normal' } }),
    RangeError,
    '`emergency.gc`',
    '"normal" (string)',
  )
  bad(C, 'emergency.gc: a number', make({ emergency: { gc: 1 } }), TypeError, '`emergency.gc`', '1 (number)')
  bad(
    C,
    'emergency.heapSnapshots: negative',
    make({ emergency: { heapSnapshots: -1 } }),
    RangeError,
    '`emergency.heapSnapshots`',
    '-1 (number)',
  )
  bad(
    C,
    'emergency.heapSnapshots: fractional',
    make({ emergency: { heapSnapshots: 1.5 } }),
    RangeError,
    '`emergency.heapSnapshots`',
    '1.5 (number)',
  )
  bad(
    C,
    'emergency.heapSnapshots: too many',
    make({ emergency: { heapSnapshots: 1001 } }),
    RangeError,
    '`emergency.heapSnapshots`',
    '1001 (number)',
  )
  bad(
    C,
    'emergency.heapSnapshots: a string',
    make({ emergency: { heapSnapshots: '1' } }),
    TypeError,
    '`emergency.heapSnapshots`',
    '"1" (string)',
  )
}

// ---- sharedController ------------------------------------------------------------------------
{
  // The messages name sharedController, the function called, not the createController it builds with.
  const S = 'sharedController'
  bad(
    S,
    'options: a string',
    () => sharedController(as('shared')),
    TypeError,
    'sharedController: options',
    '"shared" (string)',
  )
  bad(
    S,
    'an unknown option',
    () => sharedController(as({ interval: 5 })),
    TypeError,
    'sharedController: unknown option `interval`',
  )
  bad(
    S,
    'an unknown option (intervalMS)',
    () => sharedController(as({ intervalMS: 1 })),
    TypeError,
    'sharedController: unknown option `intervalMS`',
  )
  bad(
    S,
    'intervalMs: 0',
    () => sharedController({ intervalMs: 0 }),
    RangeError,
    'sharedController: option `intervalMs`',
    '0 (number)',
  )
  bad(
    S,
    'shed.retryAfter: a string',
    () => sharedController(as({ autoStart: false, sources: [fake()], shed: { retryAfter: 'x' } })),
    TypeError,
    'sharedController: option `shed.retryAfter`',
    '"x" (string)',
  )
  bad(
    S,
    'emergency: a string',
    () => sharedController(as({ autoStart: false, sources: [fake()], emergency: 'gc' })),
    TypeError,
    'sharedController: emergency',
    '"gc" (string)',
  )
}

// ---- heapSource, rssSource, estimateSize --------------------------------------------------------
{
  const H = 'heapSource'
  bad(H, 'options: a string', () => heapSource(as('heap')), TypeError, 'options', '"heap" (string)')
  bad(H, 'an unknown option', () => heapSource(as({ size: 1 })), TypeError, '`size`')
  bad(H, 'name: empty', () => heapSource({ name: '' }), TypeError, '`name`', '"" (string)')
  bad(H, 'name: a number', () => heapSource(as({ name: 5 })), TypeError, '`name`', '5 (number)')
  bad(H, 'limit: 0', () => heapSource({ limit: 0 }), RangeError, '`limit`', '0 (number)')
  bad(H, 'limit: negative', () => heapSource({ limit: -1 }), RangeError, '`limit`', '-1 (number)')
  bad(H, 'limit: NaN', () => heapSource({ limit: Number.NaN }), RangeError, '`limit`', 'NaN (number)')
  bad(H, 'limit: a string', () => heapSource(as({ limit: '1GB' })), TypeError, '`limit`', '"1GB" (string)')
  bad(
    H,
    'flags: a string',
    () => heapSource(as({ flags: '--max-old-space-size=64' })),
    TypeError,
    '`flags`',
    '"--max-old-space-size=64" (string)',
  )
  bad(H, 'flags: an unknown key', () => heapSource(as({ flags: { argv: [] } })), TypeError, '`argv`')
  bad(
    H,
    'flags.execArgv: a string',
    () => heapSource(as({ flags: { execArgv: '--max-old-space-size=64' } })),
    TypeError,
    '`flags.execArgv`',
    '"--max-old-space-size=64" (string)',
  )
  bad(
    H,
    'flags.execArgv: not strings',
    () => heapSource(as({ flags: { execArgv: [64] } })),
    TypeError,
    '`flags.execArgv`',
    'an array',
  )
  bad(
    H,
    'flags.nodeOptions: a number',
    () => heapSource(as({ flags: { nodeOptions: 64 } })),
    TypeError,
    '`flags.nodeOptions`',
    '64 (number)',
  )
  bad(
    H,
    'flags.workerOldGenerationMb: negative',
    () => heapSource({ flags: { workerOldGenerationMb: -1 } }),
    RangeError,
    '`flags.workerOldGenerationMb`',
    '-1 (number)',
  )
  bad(
    H,
    'flags.workerOldGenerationMb: a string',
    () => heapSource(as({ flags: { workerOldGenerationMb: '64' } })),
    TypeError,
    '`flags.workerOldGenerationMb`',
    '"64" (string)',
  )

  const R = 'rssSource'
  bad(R, 'options: a number', () => rssSource(as(5)), TypeError, 'options', '5 (number)')
  bad(R, 'an unknown option', () => rssSource(as({ max: 1 })), TypeError, '`max`')
  bad(R, 'name: empty', () => rssSource({ name: '' }), TypeError, '`name`', '"" (string)')
  bad(R, 'limit: 0', () => rssSource({ limit: 0 }), RangeError, '`limit`', '0 (number)')
  bad(R, 'limit: Infinity', () => rssSource({ limit: Infinity }), RangeError, '`limit`', 'Infinity (number)')
  bad(R, 'limit: a string', () => rssSource(as({ limit: '512m' })), TypeError, '`limit`', '"512m" (string)')

  const C = 'cgroupSource'
  bad(C, 'options: a string', () => cgroupSource(as('v2')), TypeError, 'options', '"v2" (string)')
  bad(C, 'an unknown option', () => cgroupSource(as({ version: 2 })), TypeError, '`version`')
  bad(C, 'name: empty', () => cgroupSource({ name: '' }), TypeError, '`name`', '"" (string)')
  bad(C, 'limit: negative', () => cgroupSource({ limit: -1 }), RangeError, '`limit`', '-1 (number)')
  bad(C, 'events: a string', () => cgroupSource(as({ events: 'yes' })), TypeError, '`events`', '"yes" (string)')
  bad(C, 'psi: a number', () => cgroupSource(as({ psi: 0 })), TypeError, '`psi`', '0 (number)')
  bad(C, 'paths: a string', () => cgroupSource(as({ paths: '/sys' })), TypeError, '`paths`', '"/sys" (string)')
  bad(C, 'paths: an unknown key', () => cgroupSource(as({ paths: { sys: '/' } })), TypeError, '`sys`')
  bad(
    C,
    'paths.proc: a number',
    () => cgroupSource(as({ paths: { proc: 1 } })),
    TypeError,
    '`paths.proc`',
    '1 (number)',
  )

  const X = 'externalSource'
  bad(X, 'options: missing', () => externalSource(as(undefined)), TypeError, '`limit`', 'undefined')
  bad(X, 'an unknown option', () => externalSource(as({ limit: 1, budget: 1 })), TypeError, '`budget`')
  bad(X, 'limit: 0', () => externalSource({ limit: 0 }), RangeError, '`limit`', '0 (number)')
  bad(X, 'limit: a string', () => externalSource(as({ limit: '40MB' })), TypeError, '`limit`', '"40MB" (string)')
  bad(X, 'name: a number', () => externalSource(as({ limit: 1, name: 3 })), TypeError, '`name`', '3 (number)')

  const EL = 'eventLoopSource'
  bad(EL, 'options: a number', () => eventLoopSource(as(100)), TypeError, 'options', '100 (number)')
  bad(EL, 'an unknown option', () => eventLoopSource(as({ maxDelay: 100 })), TypeError, '`maxDelay`')
  bad(EL, 'maxDelayMs: 0', () => eventLoopSource({ maxDelayMs: 0 }), RangeError, '`maxDelayMs`', '0 (number)')
  bad(EL, 'maxDelayMs: a string', () => eventLoopSource(as({ maxDelayMs: '1s' })), TypeError, '`maxDelayMs`', '"1s"')
  bad(EL, 'maxUtilization: 0', () => eventLoopSource({ maxUtilization: 0 }), RangeError, '`maxUtilization`', '0')
  bad(
    EL,
    'maxUtilization: 98 (a percent)',
    () => eventLoopSource({ maxUtilization: 98 }),
    RangeError,
    '`maxUtilization`',
    '98',
  )
  bad(EL, 'resolutionMs: 2.5', () => eventLoopSource({ resolutionMs: 2.5 }), RangeError, '`resolutionMs`', '2.5')
  bad(EL, 'resolutionMs: 0', () => eventLoopSource({ resolutionMs: 0 }), RangeError, '`resolutionMs`', '0 (number)')
  bad(EL, 'name: empty', () => eventLoopSource({ name: '' }), TypeError, '`name`', '"" (string)')

  const E = 'estimateSize'
  bad(E, 'options: a string', () => estimateSize({}, as('deep')), TypeError, 'options', '"deep" (string)')
  bad(E, 'an unknown option', () => estimateSize({}, as({ depth: 2 })), TypeError, '`depth`')
  bad(E, 'maxNodes: 0', () => estimateSize({}, { maxNodes: 0 }), RangeError, '`maxNodes`', '0 (number)')
  bad(E, 'maxDepth: a string', () => estimateSize({}, as({ maxDepth: '8' })), TypeError, '`maxDepth`', '"8" (string)')
  bad(E, 'maxDepth: fractional', () => estimateSize({}, { maxDepth: 2.5 }), RangeError, '`maxDepth`', '2.5 (number)')
}

// ---- caches ------------------------------------------------------------------------------------
{
  const L = 'caches.lru'
  const lru = (name: unknown, options?: unknown) => () => ctl().caches.lru(as(name), as(options))
  bad(L, 'name: a number', lru(5, { max: 1 }), TypeError, '`name`', '5 (number)')
  bad(L, 'name: empty', lru('', { max: 1 }), TypeError, '`name`', '"" (string)')
  bad(L, 'options: missing', lru('c'), TypeError, 'options')
  bad(L, 'options: a number', lru('c', 100), TypeError, 'options', '100 (number)')
  bad(L, 'an unknown option', lru('c', { max: 10, maxItems: 5 }), TypeError, '`maxItems`')
  bad(L, 'max: missing', lru('c', {}), TypeError, '`max`', 'undefined')
  bad(L, 'max: 0', lru('c', { max: 0 }), RangeError, '`max`', '0 (number)')
  bad(L, 'max: negative', lru('c', { max: -1 }), RangeError, '`max`', '-1 (number)')
  bad(L, 'max: fractional', lru('c', { max: 1.5 }), RangeError, '`max`', '1.5 (number)')
  bad(L, 'max: NaN', lru('c', { max: Number.NaN }), RangeError, '`max`', 'NaN (number)')
  bad(L, 'max: Infinity', lru('c', { max: Infinity }), RangeError, '`max`', 'Infinity (number)')
  bad(L, 'max: a string', lru('c', { max: '10' }), TypeError, '`max`', '"10" (string)')
  bad(L, 'maxSize: 0', lru('c', { max: 1, maxSize: 0 }), RangeError, '`maxSize`', '0 (number)')
  bad(L, 'maxSize: fractional', lru('c', { max: 1, maxSize: 1.5 }), RangeError, '`maxSize`', '1.5 (number)')
  bad(L, 'maxSize: a string', lru('c', { max: 1, maxSize: '64MB' }), TypeError, '`maxSize`', '"64MB" (string)')
  bad(
    L,
    'sizeCalculation: a string',
    lru('c', { max: 1, sizeCalculation: 'length' }),
    TypeError,
    '`sizeCalculation`',
    '"length" (string)',
  )
  // What a sizeCalculation returns is checked at each set, with the cache's name (not lru-cache's bare TypeError).
  const sized = (size: unknown, maxSize?: number) => () =>
    ctl()
      .caches.lru<string, string>('users', {
        max: 10,
        ...(maxSize === undefined ? {} : { maxSize }),
        sizeCalculation: () => as(size),
      })
      .set('user:1', 'Ada')
  const SIZED = 'caches.lru("users"): option `sizeCalculation` must return an integer >= 1'
  bad(L, 'sizeCalculation: returns 0', sized(0, 1000), RangeError, SIZED, '0 (number)')
  bad(L, 'sizeCalculation: returns a negative number', sized(-5, 1000), RangeError, SIZED, '-5 (number)')
  bad(L, 'sizeCalculation: returns NaN', sized(Number.NaN, 1000), RangeError, SIZED, 'NaN (number)')
  bad(L, 'sizeCalculation: returns a fraction', sized(1.5, 1000), RangeError, SIZED, '1.5 (number)')
  bad(L, 'sizeCalculation: returns a string', sized('100', 1000), TypeError, SIZED, '"100" (string)')
  bad(L, 'sizeCalculation: returns undefined', sized(undefined, 1000), TypeError, SIZED, 'undefined')
  bad(L, 'sizeCalculation: returns 0 (no maxSize)', sized(0), RangeError, SIZED, '0 (number)')
  bad(L, 'ttl: negative', lru('c', { max: 1, ttl: -1 }), RangeError, '`ttl`', '-1 (number)')
  bad(L, 'ttl: fractional', lru('c', { max: 1, ttl: 1.5 }), RangeError, '`ttl`', '1.5 (number)')
  bad(L, 'ttl: a string', lru('c', { max: 1, ttl: '1m' }), TypeError, '`ttl`', '"1m" (string)')
  bad(
    L,
    "priority: 'high' (a request priority)",
    lru('c', { max: 1, priority: 'high' }),
    RangeError,
    '`priority`',
    '"high" (string)',
  )
  bad(L, 'priority: a number', lru('c', { max: 1, priority: 1 }), TypeError, '`priority`', '1 (number)')
  bad(L, 'dispose: a string', lru('c', { max: 1, dispose: 'close' }), TypeError, '`dispose`', '"close" (string)')
  bad(L, 'disposeAfter: a number', lru('c', { max: 1, disposeAfter: 5 }), TypeError, '`disposeAfter`', '5 (number)')
  for (const key of [
    'updateAgeOnGet',
    'updateAgeOnHas',
    'allowStale',
    'noDeleteOnStaleGet',
    'ttlAutopurge',
    'noDisposeOnSet',
    'noUpdateTTL',
  ]) {
    bad(L, `${key}: a string`, lru('c', { max: 1, [key]: 'yes' }), TypeError, `\`${key}\``, '"yes" (string)')
  }
  bad(
    L,
    'ttlResolution: negative',
    lru('c', { max: 1, ttlResolution: -1 }),
    RangeError,
    '`ttlResolution`',
    '-1 (number)',
  )
  bad(L, 'maxEntrySize: 0', lru('c', { max: 1, maxEntrySize: 0 }), RangeError, '`maxEntrySize`', '0 (number)')
  bad(L, 'perf: without now()', lru('c', { max: 1, perf: {} }), TypeError, '`perf`', 'an object')
  bad(L, 'perf: a function', lru('c', { max: 1, perf: () => 0 }), TypeError, '`perf`', 'a function')

  const G = 'caches.register'
  const managed: Managed = { resize: noop, clear: noop, stats }
  const register = (name: unknown, m: unknown, options?: unknown) => () =>
    ctl().caches.register(as(name), as(m), as(options))
  bad(G, 'name: a number', register(1, managed), TypeError, '`name`', '1 (number)')
  bad(G, 'name: empty', register('', managed), TypeError, '`name`', '"" (string)')
  bad(G, 'managed: null', register('m', null), TypeError, '`managed`', 'null')
  bad(G, 'managed: a string', register('m', 'cache'), TypeError, '`managed`', '"cache" (string)')
  bad(G, 'managed: without stats()', register('m', { resize: noop, clear: noop }), TypeError, '`managed`', 'an object')
  bad(G, 'options: a string', register('m', managed, 'optional'), TypeError, 'options', '"optional" (string)')
  bad(G, 'an unknown option', register('m', managed, { prio: 'optional' }), TypeError, '`prio`')
  bad(
    G,
    "priority: 'low' (a request priority)",
    register('m', managed, { priority: 'low' }),
    RangeError,
    '`priority`',
    '"low" (string)',
  )
  bad(G, 'priority: a number', register('m', managed, { priority: 2 }), TypeError, '`priority`', '2 (number)')

  const M = 'caches.multiplier'
  bad(M, "priority: 'high'", () => ctl().caches.multiplier(as('high')), RangeError, '`priority`', '"high" (string)')
  bad(M, 'priority: a number', () => ctl().caches.multiplier(as(1)), TypeError, '`priority`', '1 (number)')
  bad(
    M,
    'level: unknown',
    () => ctl().caches.multiplier('normal', as('busy')),
    RangeError,
    '`level`',
    '"busy" (string)',
  )

  const cache = () => ctl().caches.lru<string, string>('c', { max: 10 })
  const Z = 'cache.resize'
  bad(Z, 'multiplier: above 1', () => cache().resize(2), RangeError, '`multiplier`', '2 (number)')
  bad(Z, 'multiplier: negative', () => cache().resize(-0.5), RangeError, '`multiplier`', '-0.5 (number)')
  bad(Z, 'multiplier: NaN', () => cache().resize(Number.NaN), RangeError, '`multiplier`', 'NaN (number)')
  bad(Z, 'multiplier: a string', () => cache().resize(as('half')), TypeError, '`multiplier`', '"half" (string)')
  bad(Z, 'level: unknown', () => cache().resize(0.5, as('busy')), RangeError, '`level`', '"busy" (string)')
  const O = 'cache.getOrLoad'
  bad(O, 'loader: a string', () => cache().getOrLoad('k', as('fetch')), TypeError, '`loader`', '"fetch" (string)')
  bad(
    O,
    'options: a string',
    () => cache().getOrLoad('k', async () => 'v', as('bypass')),
    TypeError,
    'options',
    '"bypass" (string)',
  )
  bad(O, 'an unknown option', () => cache().getOrLoad('k', async () => 'v', as({ force: true })), TypeError, '`force`')
  bad(
    O,
    'bypass: a string',
    () => cache().getOrLoad('k', async () => 'v', as({ bypass: 'yes' })),
    TypeError,
    '`bypass`',
    '"yes" (string)',
  )
  bad(
    'cache.invalidateWhere',
    'predicate: a string',
    () => cache().invalidateWhere(as('k')),
    TypeError,
    '`predicate`',
    '"k" (string)',
  )
  bad(
    'cache.invalidatePrefix',
    'prefix: a number',
    () => cache().invalidatePrefix(as(5)),
    TypeError,
    '`prefix`',
    '5 (number)',
  )

  const Q = 'manageQueryCache'
  const queryCache = new QueryClient().getQueryCache()
  bad(
    Q,
    'queryCache: an object',
    () => manageQueryCache(as({}), { maxQueries: 1 }),
    TypeError,
    '`queryCache`',
    'an object',
  )
  bad(Q, 'queryCache: null', () => manageQueryCache(as(null), { maxQueries: 1 }), TypeError, '`queryCache`', 'null')
  bad(Q, 'options: missing', () => manageQueryCache(queryCache, as(undefined)), TypeError, 'options')
  bad(Q, 'options: a number', () => manageQueryCache(queryCache, as(100)), TypeError, 'options', '100 (number)')
  bad(Q, 'an unknown option', () => manageQueryCache(queryCache, as({ max: 5 })), TypeError, '`max`')
  bad(Q, 'maxQueries: missing', () => manageQueryCache(queryCache, as({})), TypeError, '`maxQueries`', 'undefined')
  bad(
    Q,
    'maxQueries: 0',
    () => manageQueryCache(queryCache, { maxQueries: 0 }),
    RangeError,
    '`maxQueries`',
    '0 (number)',
  )
  bad(
    Q,
    'maxQueries: fractional',
    () => manageQueryCache(queryCache, { maxQueries: 1.5 }),
    RangeError,
    '`maxQueries`',
    '1.5 (number)',
  )
  bad(
    Q,
    'maxQueries: a string',
    () => manageQueryCache(queryCache, as({ maxQueries: '100' })),
    TypeError,
    '`maxQueries`',
    '"100" (string)',
  )
  bad(
    'managedQueryCache.resize',
    'multiplier: above 1',
    () => manageQueryCache(queryCache, { maxQueries: 1 }).resize(2),
    RangeError,
    '`multiplier`',
    '2 (number)',
  )
  bad(
    'managedQueryCache.resize',
    'multiplier: a string',
    () => manageQueryCache(queryCache, { maxQueries: 1 }).resize(as('x')),
    TypeError,
    '`multiplier`',
    '"x" (string)',
  )
}

// ---- controller methods: force, on/once/off, onLevel, onShutdown, shutdown, closeOnSignals --------
{
  const setMode = (value: unknown) => () => {
    ;(ctl() as { mode: unknown }).mode = value
  }
  const MO = 'pressure.mode'
  bad(MO, "value: 'Observe'", setMode('Observe'), RangeError, 'pressure.mode', '"Observe" (string)')
  bad(MO, 'value: null', setMode(null), TypeError, 'pressure.mode', 'null')
  bad(MO, 'value: a number', setMode(1), TypeError, 'pressure.mode', '1 (number)')

  const CF = 'configure'
  const configure = (options: unknown) => () => ctl().configure(as(options))
  bad(CF, 'options: a string', configure('fast'), TypeError, 'options', '"fast" (string)')
  bad(CF, 'an unknown option', configure({ recoveryMS: 5 }), TypeError, '`recoveryMS`')
  bad(CF, 'mode (has its own setter)', configure({ mode: 'observe' }), TypeError, '`mode`')
  bad(CF, 'thresholds: a number', configure({ thresholds: 0.7 }), TypeError, '`thresholds`', '0.7 (number)')
  bad(
    CF,
    'thresholds.critical: 0',
    configure({ thresholds: { critical: 0 } }),
    RangeError,
    '`thresholds.critical`',
    '0 (number)',
  )
  bad(
    CF,
    'thresholds: not increasing',
    configure({ thresholds: { warning: 0.9 } }),
    RangeError,
    '`thresholds`',
    'warning 0.9',
  )
  bad(CF, 'hysteresis: at warning', configure({ hysteresis: 0.7 }), RangeError, '`hysteresis`', '0.7')
  bad(CF, 'recoveryMs: NaN', configure({ recoveryMs: NaN }), RangeError, '`recoveryMs`', 'NaN (number)')
  bad(CF, 'intervalMs: a string', configure({ intervalMs: '1s' }), TypeError, '`intervalMs`', '"1s" (string)')
  bad(
    CF,
    'fastIntervalMs: above intervalMs',
    configure({ fastIntervalMs: 5000 }),
    RangeError,
    '`fastIntervalMs`',
    '5000',
  )
  bad(
    CF,
    'cachePolicy: 2 for a multiplier',
    configure({ cachePolicy: { warning: { optional: 2 } } }),
    RangeError,
    '`cachePolicy.warning.optional`',
    '2 (number)',
  )
  bad(CF, 'cachePolicy: an unknown priority', configure({ cachePolicy: { warning: { low: 0.5 } } }), TypeError, '`low`')
  bad(CF, 'regrowMs: negative', configure({ regrowMs: -1 }), RangeError, '`regrowMs`', '-1 (number)')

  const F = 'force'
  bad(F, "level: 'high'", () => ctl().force(as('high')), RangeError, '`level`', '"high" (string)')
  bad(F, 'level: a number', () => ctl().force(as(3)), TypeError, '`level`', '3 (number)')
  bad(F, 'level: missing', () => ctl().force(as(undefined)), TypeError, '`level`', 'undefined')
  bad(F, 'options: a number', () => ctl().force('critical', as(5000)), TypeError, 'options', '5000 (number)')
  bad(F, 'an unknown option', () => ctl().force('critical', as({ for: 5000 })), TypeError, '`for`')
  bad(F, 'forMs: 0', () => ctl().force('critical', { forMs: 0 }), RangeError, '`forMs`', '0 (number)')
  bad(F, 'forMs: negative', () => ctl().force('critical', { forMs: -1 }), RangeError, '`forMs`', '-1 (number)')
  bad(
    F,
    'forMs: beyond a timer',
    () => ctl().force('critical', { forMs: 2 ** 31 }),
    RangeError,
    '`forMs`',
    '2147483648 (number)',
  )
  bad(F, 'forMs: a string', () => ctl().force('critical', as({ forMs: '5s' })), TypeError, '`forMs`', '"5s" (string)')

  for (const method of ['on', 'once'] as const) {
    bad(method, 'event: unknown', () => ctl()[method](as('data'), noop), RangeError, '`event`', '"data" (string)')
    bad(method, 'fn: a string', () => ctl()[method]('sample', as('log')), TypeError, '`fn`', '"log" (string)')
  }
  bad('off', 'event: unknown', () => ctl().off(as('data')), RangeError, '`event`', '"data" (string)')
  bad('off', 'fn: a number', () => ctl().off('sample', as(5)), TypeError, '`fn`', '5 (number)')

  const H = 'onLevel'
  bad(H, "level: 'normal'", () => ctl().onLevel(as('normal'), noop), RangeError, '`level`', '"normal" (string)')
  bad(H, 'level: a number', () => ctl().onLevel(as(2), noop), TypeError, '`level`', '2 (number)')
  bad(H, 'fn: a string', () => ctl().onLevel('warning', as('gc')), TypeError, '`fn`', '"gc" (string)')
  bad(
    H,
    'options: a string',
    () => ctl().onLevel('warning', noop, as('leave')),
    TypeError,
    'options',
    '"leave" (string)',
  )
  bad(H, 'an unknown option', () => ctl().onLevel('warning', noop, as({ when: 'leave' })), TypeError, '`when`')
  bad(H, 'on: unknown', () => ctl().onLevel('warning', noop, as({ on: 'both' })), RangeError, '`on`', '"both" (string)')

  bad('onShutdown', 'fn: a string', () => ctl().onShutdown(as('close')), TypeError, '`fn`', '"close" (string)')
  bad('onShutdown', 'name: empty', () => ctl().onShutdown(noop, { name: '' }), TypeError, '`name`', '"" (string)')
  bad('onShutdown', 'an unknown option', () => ctl().onShutdown(noop, as({ id: 1 })), TypeError, '`id`')
  bad('shutdown', 'reason: empty', () => ctl().shutdown({ reason: '' }), TypeError, '`reason`', '"" (string)')
  bad('shutdown', 'timeoutMs: 0', () => ctl().shutdown({ timeoutMs: 0 }), RangeError, '`timeoutMs`', '0 (number)')
  bad(
    'shutdown',
    'timeoutMs: a string',
    () => ctl().shutdown(as({ timeoutMs: '10s' })),
    TypeError,
    '`timeoutMs`',
    '"10s" (string)',
  )

  const S = 'closeOnSignals'
  const signals = (options: unknown) => () => ctl().closeOnSignals(as(options))
  bad(S, 'options: a string', signals('SIGTERM'), TypeError, 'options', '"SIGTERM" (string)')
  bad(S, 'an unknown option', signals({ signal: 'SIGTERM' }), TypeError, '`signal`')
  bad(S, 'signals: a string', signals({ signals: 'SIGTERM' }), TypeError, '`signals`', '"SIGTERM" (string)')
  bad(S, 'signals: empty', signals({ signals: [] }), TypeError, '`signals`', 'an array')
  bad(S, 'signals: an unknown name', signals({ signals: ['SIGFOO'] }), RangeError, '`signals`', '"SIGFOO" (string)')
  bad(S, 'signals: uncatchable', signals({ signals: ['SIGKILL'] }), RangeError, '`signals`', '"SIGKILL" (string)')
  bad(S, 'signals: a number', signals({ signals: [15] }), TypeError, '`signals`', '15 (number)')
  bad(S, 'timeoutMs: 0', signals({ timeoutMs: 0 }), RangeError, '`timeoutMs`', '0 (number)')
  bad(S, 'hooks: a function', signals({ hooks: noop }), TypeError, '`hooks`', 'a function')
  bad(S, 'hooks[0]: a string', signals({ hooks: ['close'] }), TypeError, '`hooks[0]`', '"close" (string)')
  bad(S, 'exit: a string', signals({ exit: 'no' }), TypeError, '`exit`', '"no" (string)')
}

// ---- degradation: flags, tasks, limits, withTimeout, inBatches ------------------------------------
{
  const F = 'features.flag'
  bad(F, 'name: a number', () => ctl().features.flag(as(5)), TypeError, '`name`', '5 (number)')
  bad(F, 'name: empty', () => ctl().features.flag(''), TypeError, '`name`', '"" (string)')
  bad(
    F,
    'options: a string',
    () => ctl().features.flag('f', as('critical')),
    TypeError,
    'options',
    '"critical" (string)',
  )
  bad(F, 'an unknown option', () => ctl().features.flag('f', as({ offAT: 'critical' })), TypeError, '`offAT`')
  bad(
    F,
    "offAt: 'normal'",
    () => ctl().features.flag('f', as({ offAt: 'normal' })),
    RangeError,
    '`offAt`',
    '"normal" (string)',
  )
  bad(F, 'offAt: a number', () => ctl().features.flag('f', as({ offAt: 2 })), TypeError, '`offAt`', '2 (number)')
  bad('features.enabled', 'name: undeclared', () => ctl().features.enabled('nope'), RangeError, 'nope')
  bad('features.enabled', 'name: a number', () => ctl().features.enabled(as(5)), TypeError, '`name`', '5 (number)')
  bad('features.override', 'name: undeclared', () => ctl().features.override('nope', 'on'), RangeError, 'nope')
  bad(
    'features.override',
    'name: a number',
    () => ctl().features.override(as(5), 'on'),
    TypeError,
    '`name`',
    '5 (number)',
  )
  const flag = () => ctl().features.flag('f')
  bad('flag.override', 'state: unknown', () => flag().override(as('maybe')), RangeError, '`state`', '"maybe" (string)')
  bad('flag.override', 'state: a boolean', () => flag().override(as(true)), TypeError, '`state`', 'true (boolean)')
  bad('flag.on', 'event: unknown', () => flag().on(as('toggle'), noop), RangeError, '`event`', '"toggle" (string)')
  bad('flag.on', 'fn: a number', () => flag().on('change', as(5)), TypeError, '`fn`', '5 (number)')
  bad('flag.off', 'event: unknown', () => flag().off(as('toggle')), RangeError, '`event`', '"toggle" (string)')

  const T = 'tasks.every'
  const every = (name: unknown, ms: unknown, fn: unknown, options?: unknown) => () =>
    ctl().tasks.every(as(name), as(ms), as(fn), as(options))
  bad(T, 'name: a number', every(5, 100, noop), TypeError, '`name`', '5 (number)')
  bad(T, 'name: empty', every('', 100, noop), TypeError, '`name`', '"" (string)')
  bad(T, 'intervalMs: 0', every('t', 0, noop), RangeError, '`intervalMs`', '0 (number)')
  bad(T, 'intervalMs: negative', every('t', -1, noop), RangeError, '`intervalMs`', '-1 (number)')
  bad(T, 'intervalMs: Infinity', every('t', Infinity, noop), RangeError, '`intervalMs`', 'Infinity (number)')
  bad(T, 'intervalMs: beyond a timer', every('t', 2 ** 31, noop), RangeError, '`intervalMs`', '2147483648 (number)')
  bad(T, 'intervalMs: a string', every('t', '1000', noop), TypeError, '`intervalMs`', '"1000" (string)')
  bad(T, 'fn: a string', every('t', 100, 'run'), TypeError, '`fn`', '"run" (string)')
  bad(T, 'options: a string', every('t', 100, noop, 'warning'), TypeError, 'options', '"warning" (string)')
  bad(T, 'an unknown option', every('t', 100, noop, { pause: 'warning' }), TypeError, '`pause`')
  bad(
    T,
    "pauseAt: 'normal'",
    every('t', 100, noop, { pauseAt: 'normal' }),
    RangeError,
    '`pauseAt`',
    '"normal" (string)',
  )
  bad(T, 'pauseAt: a number', every('t', 100, noop, { pauseAt: 1 }), TypeError, '`pauseAt`', '1 (number)')

  const L = 'limits.scale'
  const scale = (values: unknown) => () => ctl().limits.scale(as(values))
  bad(L, 'values: missing', scale(undefined), TypeError, '`values`', 'undefined')
  bad(L, 'values: a number', scale(100), TypeError, 'argument `values`', '100 (number)')
  bad(L, 'an unknown level', scale({ normal: 100, busy: 1 }), TypeError, 'unknown key in argument `values` `busy`')
  bad(L, 'normal: missing', scale({ critical: 10 }), TypeError, 'limits.scale: argument `values.normal`', 'undefined')
  bad(L, 'normal: a string', scale({ normal: '100' }), TypeError, 'argument `values.normal`', '"100" (string)')
  bad(L, 'normal: NaN', scale({ normal: Number.NaN }), RangeError, 'argument `values.normal`', 'NaN (number)')
  bad(
    L,
    'critical: Infinity',
    scale({ normal: 100, critical: Infinity }),
    RangeError,
    'argument `values.critical`',
    'Infinity (number)',
  )
  bad(L, 'warning: null', scale({ normal: 100, warning: null }), TypeError, 'argument `values.warning`', 'null')
  bad(
    'scaledValue.at',
    'level: unknown',
    () => ctl().limits.scale({ normal: 1 }).at(as('busy')),
    RangeError,
    '`level`',
    '"busy" (string)',
  )
  bad(
    'scaledValue.at',
    'level: inherited from Object',
    () => ctl().limits.scale({ normal: 1 }).at(as('toString')),
    RangeError,
    '`level`',
    '"toString" (string)',
  )
  bad(
    'scaledValue.at',
    'level: a number',
    () => ctl().limits.scale({ normal: 1 }).at(as(0)),
    TypeError,
    '`level`',
    '0 (number)',
  )

  const P = 'limits.page'
  const page = (input: unknown, options: unknown) => () => ctl().limits.page(as(input), as(options))
  bad(P, 'options: missing', page({}, undefined), TypeError, '`max`')
  bad(P, 'options: a number', page({}, 50), TypeError, 'options', '50 (number)')
  bad(P, 'an unknown option', page({}, { max: 10, limit: 5 }), TypeError, '`limit`')
  bad(P, 'max: negative', page({}, { max: -1 }), RangeError, '`max`', '-1 (number)')
  bad(P, 'max: NaN', page({}, { max: Number.NaN }), RangeError, '`max`', 'NaN (number)')
  bad(P, 'max: a string', page({}, { max: '10' }), TypeError, '`max`', '"10" (string)')
  bad(P, 'max: a scaled value of a string', page({}, { max: { value: 'x' } }), TypeError, '`max`', '"x" (string)')
  bad(P, 'default: 0', page({}, { max: 10, default: 0 }), RangeError, '`default`', '0 (number)')
  bad(P, 'default: fractional', page({}, { max: 10, default: 1.5 }), RangeError, '`default`', '1.5 (number)')
  bad(P, 'default: a string', page({}, { max: 10, default: '5' }), TypeError, '`default`', '"5" (string)')
  bad(P, 'maxSkip: negative', page({}, { max: 10, maxSkip: -1 }), RangeError, '`maxSkip`', '-1 (number)')
  bad(P, 'maxSkip: a string', page({}, { max: 10, maxSkip: 'x' }), TypeError, '`maxSkip`', '"x" (string)')
  bad(P, 'input: a string', page('take=5', { max: 10 }), TypeError, '`input`', '"take=5" (string)')
  bad(P, 'input: an array', page([5], { max: 10 }), TypeError, '`input`', 'an array')
  // A client's bad input: a PageError, which is a RangeError with statusCode 400.
  // The message says what a client can send, with the page size in force.
  const TAKE = 'page: `take` must be a whole number in digits, such as 10 (at most 10 per page)'
  bad(P, 'client take: negative', page({ take: -1 }, { max: 10 }), PageError, TAKE, '-1 (number)')
  bad(P, 'client take: not digits', page({ take: 'abc' }, { max: 10 }), PageError, TAKE, '"abc" (string)')
  bad(P, 'client take: fractional', page({ take: '1.5' }, { max: 10 }), PageError, TAKE, '"1.5" (string)')
  bad(
    P,
    'client skip: negative',
    page({ skip: '-3' }, { max: 10 }),
    PageError,
    'page: `skip` must be a whole number in digits',
    '"-3" (string)',
  )
  bad(
    P,
    'client skip: beyond a safe integer',
    page({ skip: '99999999999999999999' }, { max: 10 }),
    PageError,
    '`skip`',
    '"99999999999999999999" (string)',
  )
  bad(
    P,
    'client skip: beyond maxSkip',
    page({ skip: '50' }, { max: 10, maxSkip: 10 }),
    PageError,
    'page: `skip` must be a whole number in digits from 0 to 10',
    '"50" (string)',
  )
  bad(
    P,
    'client skip: not digits, with maxSkip',
    page({ skip: 'last' }, { max: 10, maxSkip: 10 }),
    PageError,
    'page: `skip` must be a whole number in digits from 0 to 10',
    '"last" (string)',
  )

  const W = 'withTimeout'
  const timeout = (work: unknown, ms: unknown, options?: unknown) => () => withTimeout(as(work), as(ms), as(options))
  const work = async () => 'done'
  bad(W, 'work: a number', timeout(5, 100), TypeError, '`work`', '5 (number)')
  bad(W, 'work: null', timeout(null, 100), TypeError, '`work`', 'null')
  bad(W, 'ms: 0', timeout(work, 0), RangeError, '`ms`', '0 (number)')
  bad(W, 'ms: negative', timeout(work, -1), RangeError, '`ms`', '-1 (number)')
  bad(W, 'ms: NaN', timeout(work, Number.NaN), RangeError, '`ms`', 'NaN (number)')
  bad(W, 'ms: beyond a timer', timeout(work, 2 ** 31), RangeError, '`ms`', '2147483648 (number)')
  bad(W, 'ms: a string', timeout(work, '100'), TypeError, '`ms`', '"100" (string)')
  bad(W, 'ms: an object without value', timeout(work, {}), TypeError, '`ms`', 'an object')
  bad(W, 'ms: a scaled value of 0', timeout(work, { value: 0 }), RangeError, '`ms`', '0 (number)')
  bad(W, 'options: a string', timeout(work, 100, 'slow'), TypeError, 'options', '"slow" (string)')
  bad(W, 'an unknown option', timeout(work, 100, { timeout: 5 }), TypeError, '`timeout`')
  bad(W, 'signal: not an AbortSignal', timeout(work, 100, { signal: {} }), TypeError, '`signal`', 'an object')
  bad(W, 'label: empty', timeout(work, 100, { label: '' }), TypeError, '`label`', '"" (string)')
  bad(W, 'label: a number', timeout(work, 100, { label: 5 }), TypeError, '`label`', '5 (number)')

  const B = 'inBatches'
  const batches = (load: unknown, options?: unknown) => () => inBatches(as(load), as(options))
  const load = async () => []
  bad(B, 'loadPage: a string', batches('users', { batchSize: 10 }), TypeError, '`loadPage`', '"users" (string)')
  bad(B, 'options: missing', batches(load), TypeError, 'options', 'undefined')
  bad(B, 'options: a number', batches(load, 100), TypeError, 'options', '100 (number)')
  bad(B, 'an unknown option', batches(load, { batchSize: 10, size: 5 }), TypeError, '`size`')
  bad(B, 'batchSize: missing', batches(load, {}), TypeError, '`batchSize`', 'undefined')
  bad(B, 'batchSize: 0', batches(load, { batchSize: 0 }), RangeError, '`batchSize`', '0 (number)')
  bad(B, 'batchSize: NaN', batches(load, { batchSize: Number.NaN }), RangeError, '`batchSize`', 'NaN (number)')
  bad(B, 'batchSize: a string', batches(load, { batchSize: '10' }), TypeError, '`batchSize`', '"10" (string)')
  bad(
    B,
    'signal: a string',
    batches(load, { batchSize: 10, signal: 'abort' }),
    TypeError,
    '`signal`',
    '"abort" (string)',
  )
}

// ---- shedding: admit, acquire, run, middleware, on, and the Fastify plugin -------------------------
{
  const shed = () => ctl().shed
  bad(
    'shed.admit',
    "priority: 'urgent'",
    () => shed().admit(as('urgent')),
    RangeError,
    '`priority`',
    '"urgent" (string)',
  )
  bad(
    'shed.admit',
    'priority: inherited from Object',
    () => shed().admit(as('constructor')),
    RangeError,
    '`priority`',
    '"constructor" (string)',
  )
  bad('shed.admit', 'priority: a number', () => shed().admit(as(3)), TypeError, '`priority`', '3 (number)')
  bad('shed.admit', 'priority: null', () => shed().admit(as(null)), TypeError, '`priority`', 'null')

  const A = 'shed.acquire'
  bad(A, "priority: 'urgent'", () => shed().acquire(as('urgent'), noop), RangeError, '`priority`', '"urgent" (string)')
  bad(A, 'callback: a string', () => shed().acquire('normal', as('done')), TypeError, '`callback`', '"done" (string)')
  bad(A, 'options: a number', () => shed().acquire('normal', noop, as(5)), TypeError, 'options', '5 (number)')
  bad(A, 'an unknown option', () => shed().acquire('normal', noop, as({ wait: 1 })), TypeError, '`wait`')
  bad(
    A,
    'retryAfter: negative',
    () => shed().acquire('normal', noop, { retryAfter: -1 }),
    RangeError,
    '`retryAfter`',
    '-1 (number)',
  )

  const R = 'shed.run'
  const run = (fn: unknown, options?: unknown) => () => shed().run(as(fn), as(options))
  bad(R, 'fn: a string', run('work'), TypeError, '`fn`', '"work" (string)')
  bad(R, 'options: a string', run(noop, 'low'), TypeError, 'options', '"low" (string)')
  bad(R, 'an unknown option', run(noop, { prio: 'low' }), TypeError, '`prio`')
  bad(R, "priority: 'urgent'", run(noop, { priority: 'urgent' }), RangeError, '`priority`', '"urgent" (string)')
  bad(R, 'priority: a number', run(noop, { priority: 1 }), TypeError, '`priority`', '1 (number)')
  bad(R, 'signal: not an AbortSignal', run(noop, { signal: {} }), TypeError, '`signal`', 'an object')
  bad(R, 'retryAfter: negative', run(noop, { retryAfter: -1 }), RangeError, '`retryAfter`', '-1 (number)')
  bad(R, 'retryAfter: a string', run(noop, { retryAfter: '5' }), TypeError, '`retryAfter`', '"5" (string)')

  const M = 'shed.middleware'
  const middleware = (options: unknown) => () => shed().middleware(as(options))
  bad(M, 'options: a string', middleware('low'), TypeError, 'options', '"low" (string)')
  bad(M, 'an unknown option', middleware({ prio: noop }), TypeError, '`prio`')
  bad(M, 'priority: a string', middleware({ priority: 'high' }), TypeError, '`priority`', '"high" (string)')
  bad(M, 'retryAfter: negative', middleware({ retryAfter: -1 }), RangeError, '`retryAfter`', '-1 (number)')
  bad(M, 'retryAfter: fractional', middleware({ retryAfter: 1.5 }), RangeError, '`retryAfter`', '1.5 (number)')
  bad(M, 'retryAfter: a string', middleware({ retryAfter: '10' }), TypeError, '`retryAfter`', '"10" (string)')

  for (const method of ['on', 'once', 'off'] as const) {
    bad(
      `shed.${method}`,
      'event: unknown',
      () => shed()[method](as('refuse'), noop),
      RangeError,
      '`event`',
      '"refuse" (string)',
    )
    bad(
      `shed.${method}`,
      'fn: a string',
      () => shed()[method]('refused', as('log')),
      TypeError,
      '`fn`',
      '"log" (string)',
    )
  }

  const P = 'heapguardFastify'
  /** Registers the plugin; a bad option makes `ready()` reject with the plugin's error. */
  const plugin = (options: (pressure: Controller) => unknown) => async () => {
    const app = Fastify()
    try {
      await app.register(heapguardFastify, as(options(ctl())))
      await app.ready()
    } finally {
      await app.close().catch(noop)
    }
  }
  bad(
    P,
    'pressure: missing',
    plugin(() => ({})),
    TypeError,
    '`pressure`',
    'undefined',
  )
  bad(
    P,
    'pressure: not a controller',
    plugin(() => ({ pressure: {} })),
    TypeError,
    '`pressure`',
    'an object',
  )
  bad(
    P,
    'an unknown option',
    plugin((pressure) => ({ pressure, prio: noop })),
    TypeError,
    '`prio`',
  )
  bad(
    P,
    'priority: a string',
    plugin((pressure) => ({ pressure, priority: 'high' })),
    TypeError,
    '`priority`',
    '"high" (string)',
  )
  bad(
    P,
    'retryAfter: negative',
    plugin((pressure) => ({ pressure, retryAfter: -1 })),
    RangeError,
    '`retryAfter`',
    '-1 (number)',
  )
  bad(
    P,
    'retryAfter: a string',
    plugin((pressure) => ({ pressure, retryAfter: '5' })),
    TypeError,
    '`retryAfter`',
    '"5" (string)',
  )
}

// ---- reservations: reserve, createController({ reservations, caches }), the bytes options --------
{
  const C = 'createController'
  const make = (options: unknown) => () => ctl(as<ControllerOptions>(options))
  bad(C, 'reservations: a number', make({ reservations: 60 }), TypeError, '`reservations`', '60 (number)')
  bad(C, 'reservations: an unknown key', make({ reservations: { maxHold: 1 } }), TypeError, '`maxHold`')
  bad(
    C,
    'reservations.maxHoldMs: 0',
    make({ reservations: { maxHoldMs: 0 } }),
    RangeError,
    '`reservations.maxHoldMs`',
    '0 (number)',
  )
  bad(
    C,
    'reservations.maxHoldMs: a string',
    make({ reservations: { maxHoldMs: '60s' } }),
    TypeError,
    '`reservations.maxHoldMs`',
    '"60s" (string)',
  )
  bad(
    C,
    'reservations.reconcile: unknown',
    make({ reservations: { reconcile: 'decay' } }),
    RangeError,
    '`reservations.reconcile`',
    '"decay" (string)',
  )
  bad(
    C,
    'reservations.source: unknown',
    make({ reservations: { source: 'heap' } }),
    RangeError,
    '`reservations.source`',
    '"heap" (string)',
  )
  bad(
    C,
    'reservations.source: a number',
    make({ reservations: { source: 1 } }),
    TypeError,
    '`reservations.source`',
    '1 (number)',
  )
  bad(C, 'caches: a number', make({ caches: 5 }), TypeError, '`caches`', '5 (number)')
  bad(C, 'caches: an unknown key', make({ caches: { limit: 5 } }), TypeError, '`limit`')
  bad(C, 'caches.budget: negative', make({ caches: { budget: -1 } }), RangeError, '`caches.budget`', '-1 (number)')
  bad(C, 'caches.budget: NaN', make({ caches: { budget: Number.NaN } }), RangeError, '`caches.budget`', 'NaN (number)')
  bad(
    C,
    'caches.budget: fractional bytes',
    make({ caches: { budget: 1.5 } }),
    RangeError,
    '`caches.budget`',
    '1.5 (number)',
  )
  bad(
    C,
    'caches.budget: a string',
    make({ caches: { budget: '64mb' } }),
    TypeError,
    '`caches.budget`',
    '"64mb" (string)',
  )

  const W = 'reserve'
  const reserve = (bytes: unknown, options?: unknown) => () => ctl().reserve(as(bytes), as(options))
  bad(W, 'bytes: negative', reserve(-1), RangeError, '`bytes`', '-1 (number)')
  bad(W, 'bytes: NaN', reserve(Number.NaN), RangeError, '`bytes`', 'NaN (number)')
  bad(W, 'bytes: Infinity', reserve(Infinity), RangeError, '`bytes`', 'Infinity (number)')
  bad(W, 'bytes: a string', reserve('20MB'), TypeError, '`bytes`', '"20MB" (string)')
  bad(W, 'bytes: missing', reserve(undefined), TypeError, '`bytes`', 'undefined')
  bad(W, 'options: a string', reserve(1, 'low'), TypeError, 'options', '"low" (string)')
  bad(W, 'an unknown option', reserve(1, { prio: 'low' }), TypeError, '`prio`')
  bad(W, "priority: 'urgent'", reserve(1, { priority: 'urgent' }), RangeError, '`priority`', '"urgent" (string)')
  bad(W, 'source: unknown', reserve(1, { source: 'rss' }), RangeError, '`source`', '"rss" (string)')

  const shed = () => ctl().shed
  bad('shed.run', 'bytes: negative', () => shed().run(noop, { bytes: -1 }), RangeError, '`bytes`', '-1 (number)')
  bad(
    'shed.run',
    'bytes: a string',
    () => shed().run(noop, { bytes: as('1kb') }),
    TypeError,
    '`bytes`',
    '"1kb" (string)',
  )
  bad(
    'shed.acquire',
    'reserves: a string',
    () => shed().acquire('normal', noop, { reserves: as('yes') }),
    TypeError,
    '`reserves`',
    '"yes" (string)',
  )
  const middleware = (options: unknown) => () => shed().middleware(as(options))
  bad('shed.middleware', 'bytes: negative', middleware({ bytes: -1 }), RangeError, '`bytes`', '-1 (number)')
  bad('shed.middleware', 'bytes: NaN', middleware({ bytes: Number.NaN }), RangeError, '`bytes`', 'NaN (number)')
  bad('shed.middleware', 'bytes: a string', middleware({ bytes: '1mb' }), TypeError, '`bytes`', '"1mb" (string)')

  const P = 'heapguardFastify'
  const route =
    (config: unknown, options: (pressure: Controller) => object = (pressure) => ({ pressure })) =>
    async () => {
      const app = Fastify()
      try {
        await app.register(heapguardFastify, as(options(ctl())))
        await app.after()
        app.get('/', as({ config: { heapguard: config } }), () => 'ok')
        await app.ready()
      } finally {
        await app.close().catch(noop)
      }
    }
  bad(
    P,
    'bytes: negative',
    route(undefined, (pressure) => ({ pressure, bytes: -1 })),
    RangeError,
    '`bytes`',
    '-1 (number)',
  )
  bad(
    P,
    'bytes: a string',
    route(undefined, (pressure) => ({ pressure, bytes: '1mb' })),
    TypeError,
    '`bytes`',
    '"1mb" (string)',
  )
  bad(P, 'config.heapguard: a string', route('low'), TypeError, 'config.heapguard', '"low" (string)')
  bad(P, 'config.heapguard: an unknown key', route({ bites: 1 }), TypeError, '`bites`')
  bad(
    P,
    'config.heapguard.priority: unknown',
    route({ priority: 'urgent' }),
    RangeError,
    'config.heapguard.priority',
    '"urgent" (string)',
  )
  bad(
    P,
    'config.heapguard.bytes: Infinity',
    route({ bytes: Infinity }),
    RangeError,
    'config.heapguard.bytes',
    'Infinity (number)',
  )
}

// ---- observation: collectMetrics, healthHandler, dashboardHandler ---------------------------------
{
  const M = 'collectMetrics'
  const registry = () => new Registry()
  bad(
    M,
    'pressure: an object',
    () => collectMetrics(as({}), { registry: registry() }),
    TypeError,
    '`pressure`',
    'an object',
  )
  bad(M, 'pressure: null', () => collectMetrics(as(null), { registry: registry() }), TypeError, '`pressure`', 'null')
  bad(M, 'options: missing', () => collectMetrics(ctl(), as(undefined)), TypeError, 'registry')
  bad(
    M,
    'options: a registry itself',
    () => collectMetrics(ctl(), as('register')),
    TypeError,
    'options',
    '"register" (string)',
  )
  bad(
    M,
    'an unknown option',
    () => collectMetrics(ctl(), as({ registry: registry(), labels: {} })),
    TypeError,
    '`labels`',
  )
  bad(M, 'registry: missing', () => collectMetrics(ctl(), as({})), TypeError, '`registry`', 'undefined')
  bad(
    M,
    'registry: not a Registry',
    () => collectMetrics(ctl(), as({ registry: {} })),
    TypeError,
    '`registry`',
    'an object',
  )
  bad(
    M,
    'prefix: a number',
    () => collectMetrics(ctl(), as({ registry: registry(), prefix: 5 })),
    TypeError,
    '`prefix`',
    '5 (number)',
  )
  bad(
    M,
    'prefix: starts with a digit',
    () => collectMetrics(ctl(), { registry: registry(), prefix: '1app_' }),
    RangeError,
    '`prefix`',
    '"1app_" (string)',
  )
  bad(
    M,
    'prefix: a dash',
    () => collectMetrics(ctl(), { registry: registry(), prefix: 'my-app_' }),
    RangeError,
    '`prefix`',
    '"my-app_" (string)',
  )

  const O = 'otel collectMetrics'
  const meter = () => ({
    createObservableGauge: noop,
    createObservableCounter: noop,
    addBatchObservableCallback: noop,
    removeBatchObservableCallback: noop,
  })
  bad(
    O,
    'pressure: an object',
    () => collectOtelMetrics(as({}), { meter: as(meter()) }),
    TypeError,
    '`pressure`',
    'an object',
  )
  bad(O, 'options: missing', () => collectOtelMetrics(ctl(), as(undefined)), TypeError, 'meter')
  bad(
    O,
    'meter: a prom-client Registry',
    () => collectOtelMetrics(ctl(), { meter: as(new Registry()) }),
    TypeError,
    '`meter`',
    'an object',
  )
  bad(
    O,
    'an unknown option',
    () => collectOtelMetrics(ctl(), as({ meter: meter(), registry: {} })),
    TypeError,
    '`registry`',
  )
  bad(
    O,
    'prefix: a number',
    () => collectOtelMetrics(ctl(), as({ meter: meter(), prefix: 5 })),
    TypeError,
    '`prefix`',
    '5 (number)',
  )
  bad(
    O,
    'prefix: a leading digit',
    () => collectOtelMetrics(ctl(), { meter: as(meter()), prefix: '1app' }),
    RangeError,
    '`prefix`',
    '"1app" (string)',
  )

  const H = 'healthHandler'
  bad(H, 'pressure: a string', () => healthHandler(as('pressure')), TypeError, '`pressure`', '"pressure" (string)')
  bad(H, 'options: a string', () => healthHandler(ctl(), as('critical')), TypeError, 'options', '"critical" (string)')
  bad(H, 'an unknown option', () => healthHandler(ctl(), as({ fail: 'critical' })), TypeError, '`fail`')
  bad(
    H,
    "failAt: 'normal'",
    () => healthHandler(ctl(), as({ failAt: 'normal' })),
    RangeError,
    '`failAt`',
    '"normal" (string)',
  )
  bad(H, 'failAt: a number', () => healthHandler(ctl(), as({ failAt: 3 })), TypeError, '`failAt`', '3 (number)')

  const D = 'dashboardHandler'
  const token = 'a-token-of-24-characters'
  bad(D, 'pressure: an object', () => dashboardHandler(as({}), { token }), TypeError, '`pressure`', 'an object')
  bad(D, 'options: missing', () => dashboardHandler(ctl(), as(undefined)), TypeError, 'token')
  bad(D, 'options: a string', () => dashboardHandler(ctl(), as(token)), TypeError, 'options', `"${token}" (string)`)
  bad(D, 'an unknown option', () => dashboardHandler(ctl(), as({ token, theme: 'dark' })), TypeError, '`theme`')
  bad(D, 'token: missing', () => dashboardHandler(ctl(), as({})), TypeError, '`token`', 'undefined')
  bad(
    D,
    'token: a number',
    () => dashboardHandler(ctl(), as({ token: 1234567890123456 })),
    TypeError,
    '`token`',
    '1234567890123456 (number)',
  )
  bad(D, 'token: too short', () => dashboardHandler(ctl(), { token: 'secret' }), RangeError, '`token`', '6')
  bad(
    D,
    'updateMs: too often',
    () => dashboardHandler(ctl(), { token, updateMs: 10 }),
    RangeError,
    '`updateMs`',
    '10 (number)',
  )
  bad(
    D,
    'updateMs: too seldom',
    () => dashboardHandler(ctl(), { token, updateMs: 120_000 }),
    RangeError,
    '`updateMs`',
    '120000 (number)',
  )
  bad(
    D,
    'updateMs: a string',
    () => dashboardHandler(ctl(), as({ token, updateMs: '500' })),
    TypeError,
    '`updateMs`',
    '"500" (string)',
  )
  bad(D, 'title: empty', () => dashboardHandler(ctl(), { token, title: '' }), TypeError, '`title`', '"" (string)')
}

// ---- heapguard/web and heapguard/hono ----------------------------------------------------------
{
  const ok = () => new Response('ok')
  const W = 'withPressure'
  bad(W, 'handler: a string', () => withPressure(as<() => Response>('GET')), TypeError, '`handler`', '"GET" (string)')
  bad(W, 'handler: missing', () => withPressure(as<() => Response>(undefined)), TypeError, '`handler`', 'undefined')
  // One table for both adapters: they share their options.
  const shared = (fn: string, make: (options: unknown) => unknown) => {
    bad(fn, 'options: a string', () => make('low'), TypeError, 'options', '"low" (string)')
    bad(fn, 'an unknown option', () => make({ budget: 1 }), TypeError, '`budget`')
    bad(fn, 'pressure: an object', () => make({ pressure: {} }), TypeError, '`pressure`', 'an object')
    bad(fn, 'pressure: a string', () => make({ pressure: 'shared' }), TypeError, '`pressure`', '"shared" (string)')
    bad(fn, "priority: 'urgent'", () => make({ priority: 'urgent' }), RangeError, '`priority`', '"urgent" (string)')
    bad(fn, 'priority: a number', () => make({ priority: 1 }), TypeError, '`priority`', '1 (number)')
    bad(fn, 'retryAfter: negative', () => make({ retryAfter: -1 }), RangeError, '`retryAfter`', '-1 (number)')
    bad(fn, 'retryAfter: a fraction', () => make({ retryAfter: 1.5 }), RangeError, '`retryAfter`', '1.5 (number)')
    bad(fn, 'retryAfter: a string', () => make({ retryAfter: '10' }), TypeError, '`retryAfter`', '"10" (string)')
  }
  shared(W, (options) => withPressure(ok, as<object>(options)))
  shared('heapguardHono', (options) => heapguardHono(as(options)))

  const H = 'healthHandler (web)'
  bad(H, 'pressure: a string', () => webHealthHandler(as('pressure')), TypeError, '`pressure`', '"pressure" (string)')
  bad(H, 'an unknown option', () => webHealthHandler(ctl(), as({ fail: 'critical' })), TypeError, '`fail`')
  bad(
    H,
    "failAt: 'normal'",
    () => webHealthHandler(ctl(), as({ failAt: 'normal' })),
    RangeError,
    '`failAt`',
    '"normal" (string)',
  )

  const D = 'dashboardHandler (web)'
  bad(
    D,
    'pressure: an object',
    () => webDashboardHandler(as({}), { token: 'a-token-of-24-characters' }),
    TypeError,
    '`pressure`',
    'an object',
  )
  bad(D, 'options: missing', () => webDashboardHandler(ctl(), as(undefined)), TypeError, 'token')
  bad(D, 'token: too short', () => webDashboardHandler(ctl(), { token: 'secret' }), RangeError, '`token`', '6')

  const M = 'metricsHandler'
  bad(M, 'pressure: null', () => metricsHandler(as(null)), TypeError, '`pressure`', 'null')
  bad(M, 'options: a string', () => metricsHandler(ctl(), as('app_')), TypeError, 'options', '"app_" (string)')
  bad(M, 'an unknown option', () => metricsHandler(ctl(), as({ registry: {} })), TypeError, '`registry`')
  bad(M, 'prefix: a number', () => metricsHandler(ctl(), as({ prefix: 5 })), TypeError, '`prefix`', '5 (number)')
  bad(
    M,
    'prefix: starts with a digit',
    () => metricsHandler(ctl(), { prefix: '1app_' }),
    RangeError,
    '`prefix`',
    '"1app_" (string)',
  )
}

// ---- what grows: createController({ leaks }), leaks.capture/watch, on('leak'), compareHeapProfiles, toPprof
{
  const C = 'createController'
  const make = (leaks: unknown) => () => ctl(as<ControllerOptions>({ leaks }))
  bad(C, 'leaks: a number', make(5), TypeError, '`leaks`', '5 (number)')
  bad(C, 'leaks: an unknown key', make({ interval: 1024 }), TypeError, '`interval`')
  bad(C, 'leaks.auto: a string', make({ auto: 'yes' }), TypeError, '`leaks.auto`', '"yes" (string)')
  bad(C, 'leaks.intervalBytes: 100', make({ intervalBytes: 100 }), RangeError, '`leaks.intervalBytes`', '100 (number)')
  bad(
    C,
    'leaks.intervalBytes: a fraction',
    make({ intervalBytes: 2048.5 }),
    RangeError,
    '`leaks.intervalBytes`',
    '2048.5',
  )
  bad(C, 'leaks.intervalBytes: a string', make({ intervalBytes: '512k' }), TypeError, '`leaks.intervalBytes`', '"512k"')
  bad(C, 'leaks.maxPauseMs: negative', make({ maxPauseMs: -1 }), RangeError, '`leaks.maxPauseMs`', '-1 (number)')
  bad(C, 'leaks.maxPauseMs: NaN', make({ maxPauseMs: NaN }), RangeError, '`leaks.maxPauseMs`', 'NaN')
  bad(C, 'leaks.durationMs: 50', make({ durationMs: 50 }), RangeError, '`leaks.durationMs`', '50 (number)')
  bad(C, 'leaks.checkpoints: 1', make({ checkpoints: 1 }), RangeError, '`leaks.checkpoints`', '1 (number)')
  bad(C, 'leaks.checkpoints: a fraction', make({ checkpoints: 2.5 }), RangeError, '`leaks.checkpoints`', '2.5')
  bad(C, 'leaks.cooldownMs: Infinity', make({ cooldownMs: Infinity }), RangeError, '`leaks.cooldownMs`', 'Infinity')

  const L = 'leaks.capture'
  const capture = (options: unknown) => () => ctl().leaks.capture(as(options))
  bad(L, 'options: a string', capture('1m'), TypeError, 'options', '"1m" (string)')
  bad(L, 'an unknown option', capture({ duration: 1000 }), TypeError, '`duration`')
  bad(L, 'durationMs: 0', capture({ durationMs: 0 }), RangeError, '`durationMs`', '0 (number)')
  bad(L, 'durationMs: a string', capture({ durationMs: '60s' }), TypeError, '`durationMs`', '"60s"')
  bad(L, 'checkpoints: 1', capture({ checkpoints: 1 }), RangeError, '`checkpoints`', '1 (number)')
  bad(L, 'checkpoints: 101', capture({ checkpoints: 101 }), RangeError, '`checkpoints`', '101 (number)')

  const W = 'leaks.watch'
  bad(W, 'name: empty', () => ctl().leaks.watch('', () => 0), TypeError, '`name`', '"" (string)')
  bad(W, 'name: a number', () => ctl().leaks.watch(as(5), () => 0), TypeError, '`name`', '5 (number)')
  bad(W, 'size: not a function', () => ctl().leaks.watch('map', as(new Map())), TypeError, '`size`', 'an object')

  bad('on', "'leak': fn not a function", () => ctl().on('leak', as('log')), TypeError, '`fn`', '"log" (string)')

  const P = 'compareHeapProfiles'
  bad(
    P,
    'profiles: a string',
    () => compareHeapProfiles(as('a.heapprofile')),
    TypeError,
    '`profiles`',
    '"a.heapprofile"',
  )
  bad(
    P,
    'profiles[0].profile: missing',
    () => compareHeapProfiles(as([{ at: 0 }])),
    TypeError,
    '`profiles[0].profile`',
    'undefined',
  )
  bad(
    P,
    'profiles[0].at: a string',
    () => compareHeapProfiles(as([{ at: 'now' }])),
    TypeError,
    '`profiles[0].at`',
    '"now"',
  )
  bad(P, 'maxSites: negative', () => compareHeapProfiles([], { maxSites: -1 }), RangeError, '`maxSites`', '-1 (number)')
  bad(P, 'an unknown option', () => compareHeapProfiles([], as({ limit: 5 })), TypeError, '`limit`')

  bad('toPprof', 'source: a string', () => toPprof(as('report')), TypeError, '`source`', '"report" (string)')
}

/**
 * The functions that return a promise: one rule for them, bad arguments reject the promise (a
 * caller's `.catch` or `await` sees them), they never throw at the call.
 */
const REJECTS = new Set(['withTimeout', 'shed.run', 'cache.getOrLoad', 'leaks.capture', 'toPprof'])

/** Calls the case; returns what it threw (`thrown`) or what its promise rejected with (`rejected`), or nothing when it succeeded. */
async function failureOf(call: () => unknown): Promise<{ error?: unknown; how?: 'thrown' | 'rejected' }> {
  let result: unknown
  try {
    result = call()
  } catch (error) {
    return { error, how: 'thrown' }
  }
  try {
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function')
      await (result as Promise<unknown>)
  } catch (error) {
    return { error, how: 'rejected' }
  }
  return {}
}

/** How many cases the table holds; printed, pinned here and quoted in the README (Reliability). */
const EXPECTED_CASES = 526

describe('bad input: the right error class, with a message naming the option and the value', () => {
  it(`the table holds ${EXPECTED_CASES} cases over ${new Set(cases.map((c) => c.fn)).size} public functions`, () => {
    const perFunction = new Map<string, number>()
    for (const c of cases) perFunction.set(c.fn, (perFunction.get(c.fn) ?? 0) + 1)
    console.log(
      `bad-input cases: ${cases.length} over ${perFunction.size} public functions\n${[...perFunction].map(([fn, n]) => `  ${fn}: ${n}`).join('\n')}`,
    )
    expect(cases.length).toBe(EXPECTED_CASES)
    // Every case is distinct: no duplicate title.
    expect(new Set(cases.map((c) => `${c.fn}: ${c.input}`)).size).toBe(cases.length)
  })

  it.each(cases.map((c) => [`${c.fn} — ${c.input}`, c] as const))('%s', async (_title, c) => {
    const { error, how } = await failureOf(c.call)
    expect(error, 'accepted the bad input').toBeInstanceOf(c.error)
    if (REJECTS.has(c.fn)) expect(how, 'a function that returns a promise threw at the call').toBe('rejected')
    // A TypeError is never also a RangeError (and the other way round): the class says which mistake it was.
    expect(error).not.toBeInstanceOf(c.error === TypeError ? RangeError : TypeError)
    const message = (error as Error).message
    expect(message).toContain(c.names)
    if (c.value !== undefined) expect(message).toContain(c.value)
  })
})
