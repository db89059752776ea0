import { describe, expect, it } from 'vitest'
import { createController, type ShedOptions } from '../../../src/index.js'
import { manualController } from '../../support/drive.js'

const build = (shed: unknown) => () =>
  createController({
    autoStart: false,
    sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
    shed: shed as ShedOptions,
  })

describe('createController({ shed }) validation', () => {
  it.each([
    ['a non-object shed', 'fast', TypeError, 'createController: option `shed` must be an object, got "fast" (string)'],
    [
      'an unknown shed key',
      { retry: 1 },
      TypeError,
      'createController: unknown key in option `shed` `retry` (known: admission, concurrency, queue, retryAfter)',
    ],
    // admission
    [
      'a non-object admission',
      { admission: [] },
      TypeError,
      'createController: option `shed.admission` must be an object, got an array',
    ],
    [
      'an unknown level',
      { admission: { severe: 'high' } },
      TypeError,
      'unknown key in option `shed.admission` `severe` (known: normal, warning, critical, emergency)',
    ],
    [
      'an unknown minimum priority',
      { admission: { critical: 'urgent' } },
      RangeError,
      "option `shed.admission.critical` must be one of 'critical', 'high', 'normal', 'low', got \"urgent\" (string)",
    ],
    [
      'a rule of the wrong type',
      { admission: { critical: 3 } },
      TypeError,
      "option `shed.admission.critical` must be a priority ('critical', 'high', 'normal', 'low') or an array of them, got 3 (number)",
    ],
    [
      'an unknown priority in a list',
      { admission: { critical: ['critical', 'meh'] } },
      RangeError,
      'option `shed.admission.critical[1]` must be one of',
    ],
    [
      'a non-string in a list',
      { admission: { critical: ['critical', 1] } },
      TypeError,
      'option `shed.admission.critical[1]` must be one of',
    ],
    [
      'a list without critical',
      { admission: { emergency: ['high'] } },
      RangeError,
      "option `shed.admission.emergency` must include 'critical' (critical work is never shed), got ['high']",
    ],
    [
      'an empty list',
      { admission: { emergency: [] } },
      RangeError,
      "option `shed.admission.emergency` must include 'critical'",
    ],
    [
      'a duplicate in a list',
      { admission: { critical: ['critical', 'high', 'high'] } },
      RangeError,
      "option `shed.admission.critical` lists 'high' twice",
    ],
    [
      'a higher level admitting more',
      { admission: { warning: 'high' } },
      RangeError,
      "option `shed.admission`: level 'critical' admits 'normal' but the lower level 'warning' refuses it",
    ],
    // concurrency
    [
      'a non-object concurrency',
      { concurrency: 16 },
      TypeError,
      'option `shed.concurrency` must be an object, got 16 (number)',
    ],
    [
      'an unknown concurrency level',
      { concurrency: { high: 3 } },
      TypeError,
      'unknown key in option `shed.concurrency` `high`',
    ],
    [
      'a zero limit',
      { concurrency: { emergency: 0 } },
      RangeError,
      'option `shed.concurrency.emergency` must be an integer >= 1, got 0 (number)',
    ],
    [
      'a fractional limit',
      { concurrency: { emergency: 1.5 } },
      RangeError,
      'option `shed.concurrency.emergency` must be an integer >= 1, got 1.5 (number)',
    ],
    [
      'an infinite limit',
      { concurrency: { emergency: Infinity } },
      RangeError,
      'option `shed.concurrency.emergency` must be an integer >= 1, got Infinity',
    ],
    [
      'a string limit',
      { concurrency: { emergency: '16' } },
      TypeError,
      'option `shed.concurrency.emergency` must be an integer >= 1, got "16" (string)',
    ],
    [
      'a higher level with a looser limit',
      { concurrency: { critical: 8, emergency: 16 } },
      RangeError,
      "option `shed.concurrency.emergency` (16) must not exceed the limit of the lower level 'critical' (8)",
    ],
    // queue
    ['a non-object queue', { queue: 5 }, TypeError, 'option `shed.queue` must be an object, got 5 (number)'],
    [
      'an unknown queue key',
      { queue: { length: 5 } },
      TypeError,
      'unknown key in option `shed.queue` `length` (known: size, timeoutMs)',
    ],
    [
      'a negative queue size',
      { queue: { size: -1 } },
      RangeError,
      'option `shed.queue.size` must be an integer >= 0, got -1 (number)',
    ],
    [
      'a fractional queue size',
      { queue: { size: 2.5 } },
      RangeError,
      'option `shed.queue.size` must be an integer >= 0, got 2.5',
    ],
    [
      'a zero timeout',
      { queue: { timeoutMs: 0 } },
      RangeError,
      'option `shed.queue.timeoutMs` must be a finite number > 0 and <= 2147483647, got 0 (number)',
    ],
    [
      'a NaN timeout',
      { queue: { timeoutMs: NaN } },
      RangeError,
      'option `shed.queue.timeoutMs` must be a finite number > 0 and <= 2147483647, got NaN',
    ],
    [
      'a timeout beyond what timers take',
      { queue: { timeoutMs: 2 ** 31 } },
      RangeError,
      'option `shed.queue.timeoutMs` must be a finite number > 0 and <= 2147483647, got 2147483648',
    ],
    [
      'a string timeout',
      { queue: { timeoutMs: '1s' } },
      TypeError,
      'option `shed.queue.timeoutMs` must be a finite number',
    ],
    // retryAfter
    [
      'a negative retryAfter',
      { retryAfter: -5 },
      RangeError,
      'option `shed.retryAfter` must be an integer >= 0, got -5 (number)',
    ],
    [
      'a fractional retryAfter',
      { retryAfter: 0.5 },
      RangeError,
      'option `shed.retryAfter` must be an integer >= 0, got 0.5',
    ],
    [
      'a string retryAfter',
      { retryAfter: '10' },
      TypeError,
      'option `shed.retryAfter` must be an integer >= 0, got "10" (string)',
    ],
  ])('rejects %s', (_name, shed, type, message) => {
    expect(build(shed)).toThrow(type)
    expect(build(shed)).toThrow(message)
  })

  it('accepts the documented shapes and resolves the defaults', () => {
    const pressure = manualController({
      admission: { warning: ['critical', 'high', 'normal'], critical: 'high' },
      concurrency: { critical: 64, emergency: 16 },
      queue: { size: 0, timeoutMs: 250 },
      retryAfter: 0,
    })
    expect(pressure.shed.limits).toEqual({ normal: null, warning: null, critical: 64, emergency: 16 })
    expect(pressure.shed.retryAfter).toBe(0)
    pressure.close()
    const defaults = manualController()
    expect(defaults.shed.retryAfter).toBe(10)
    expect(defaults.shed.limits).toEqual({ normal: null, warning: null, critical: null, emergency: null })
    defaults.close()
  })
})

describe('shed.middleware() option validation', () => {
  it.each([
    ['a non-object', 'x', TypeError, 'shed.middleware: options must be an object, got "x" (string)'],
    [
      'an unknown key',
      { priorty: () => 'low' },
      TypeError,
      'shed.middleware: unknown option `priorty` (known: priority, retryAfter, bytes)',
    ],
    [
      'a non-function priority',
      { priority: 'critical' },
      TypeError,
      'shed.middleware: option `priority` must be a function, got "critical" (string)',
    ],
    [
      'a negative retryAfter',
      { retryAfter: -1 },
      RangeError,
      'shed.middleware: option `retryAfter` must be an integer >= 0, got -1 (number)',
    ],
    [
      'a fractional retryAfter',
      { retryAfter: 2.5 },
      RangeError,
      'shed.middleware: option `retryAfter` must be an integer >= 0, got 2.5',
    ],
  ])('rejects %s', (_name, options, type, message) => {
    const pressure = manualController()
    expect(() => pressure.shed.middleware(options as never)).toThrow(type)
    expect(() => pressure.shed.middleware(options as never)).toThrow(message)
    pressure.close()
  })
})
