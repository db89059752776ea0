import { describe, expect, it } from 'vitest'
import { createController, heapSource, rssSource } from '../../src/index.js'

const source = { name: 'fake', read: () => ({ used: 1, limit: 2 }) }
/** Builds a controller with a harmless source, so that each case tests one option. */
const build = (options: Record<string, unknown>) => () =>
  createController({ sources: [source], autoStart: false, ...options })

type Case = [string, () => unknown, ErrorConstructor, string]

const W = 'createController: '
const cases: Case[] = [
  ['options null', () => createController(null as never), TypeError, `${W}options must be an object, got null`],
  ['options array', () => createController([] as never), TypeError, `${W}options must be an object, got an array`],
  [
    'unknown option',
    build({ intervalMS: 5 }),
    TypeError,
    `${W}unknown option \`intervalMS\` (known: sources, thresholds, hysteresis,`,
  ],
  // sources
  [
    'sources not an array',
    build({ sources: {} }),
    TypeError,
    `${W}option \`sources\` must be an array of sources, got an object`,
  ],
  [
    'sources empty',
    build({ sources: [] }),
    RangeError,
    `${W}option \`sources\` must hold at least one source, got an empty array`,
  ],
  [
    'source null',
    build({ sources: [null] }),
    TypeError,
    `${W}option \`sources[0]\` must be a source { name, read() }, got null`,
  ],
  [
    'source name empty',
    build({ sources: [{ name: '', read: () => 0 }] }),
    TypeError,
    `${W}option \`sources[0].name\` must be a non-empty string, got "" (string)`,
  ],
  [
    'source name a number',
    build({ sources: [source, { name: 7, read: () => 0 }] }),
    TypeError,
    `${W}option \`sources[1].name\` must be a non-empty string, got 7 (number)`,
  ],
  [
    'source read missing',
    build({ sources: [{ name: 'x' }] }),
    TypeError,
    `${W}option \`sources[0].read\` must be a function, got undefined (undefined)`,
  ],
  [
    'duplicate source names',
    build({ sources: [source, { ...source }] }),
    TypeError,
    `${W}option \`sources\` has two sources named "fake"`,
  ],
  // thresholds
  [
    'thresholds not an object',
    build({ thresholds: 0.7 }),
    TypeError,
    `${W}option \`thresholds\` must be an object, got 0.7 (number)`,
  ],
  [
    'thresholds unknown key',
    build({ thresholds: { warn: 0.5 } }),
    TypeError,
    `${W}unknown key in option \`thresholds\` \`warn\` (known: warning, critical, emergency)`,
  ],
  [
    'threshold a string',
    build({ thresholds: { warning: '0.5' } }),
    TypeError,
    `${W}option \`thresholds.warning\` must be a finite number > 0 and <= 1, got "0.5" (string)`,
  ],
  [
    'threshold 0',
    build({ thresholds: { warning: 0 } }),
    RangeError,
    `${W}option \`thresholds.warning\` must be a finite number > 0 and <= 1, got 0 (number)`,
  ],
  [
    'threshold above 1',
    build({ thresholds: { emergency: 1.2 } }),
    RangeError,
    `${W}option \`thresholds.emergency\` must be a finite number > 0 and <= 1, got 1.2 (number)`,
  ],
  [
    'threshold NaN',
    build({ thresholds: { critical: Number.NaN } }),
    RangeError,
    `${W}option \`thresholds.critical\` must be a finite number > 0 and <= 1, got NaN (number)`,
  ],
  [
    'thresholds not increasing',
    build({ thresholds: { warning: 0.9 } }),
    RangeError,
    `${W}option \`thresholds\` must be strictly increasing (warning < critical < emergency), got warning 0.9, critical 0.85, emergency 0.95`,
  ],
  [
    'thresholds equal',
    build({ thresholds: { critical: 0.95 } }),
    RangeError,
    `${W}option \`thresholds\` must be strictly increasing (warning < critical < emergency), got warning 0.7, critical 0.95, emergency 0.95`,
  ],
  // hysteresis
  [
    'hysteresis negative',
    build({ hysteresis: -0.1 }),
    RangeError,
    `${W}option \`hysteresis\` must be a finite number >= 0, got -0.1 (number)`,
  ],
  [
    'hysteresis a string',
    build({ hysteresis: '0.05' }),
    TypeError,
    `${W}option \`hysteresis\` must be a finite number >= 0, got "0.05" (string)`,
  ],
  [
    'hysteresis ≥ warning',
    build({ hysteresis: 0.7 }),
    RangeError,
    `${W}option \`hysteresis\` must be below thresholds.warning (0.7), got 0.7`,
  ],
  [
    'hysteresis ≥ a custom warning',
    build({ thresholds: { warning: 0.3 }, hysteresis: 0.4 }),
    RangeError,
    `${W}option \`hysteresis\` must be below thresholds.warning (0.3), got 0.4`,
  ],
  // times
  [
    'recoveryMs negative',
    build({ recoveryMs: -1 }),
    RangeError,
    `${W}option \`recoveryMs\` must be a finite number >= 0, got -1 (number)`,
  ],
  [
    'recoveryMs Infinity',
    build({ recoveryMs: Infinity }),
    RangeError,
    `${W}option \`recoveryMs\` must be a finite number >= 0, got Infinity (number)`,
  ],
  [
    'recoveryMs a string',
    build({ recoveryMs: '5000' }),
    TypeError,
    `${W}option \`recoveryMs\` must be a finite number >= 0, got "5000" (string)`,
  ],
  [
    'intervalMs 0',
    build({ intervalMs: 0 }),
    RangeError,
    `${W}option \`intervalMs\` must be a finite number > 0 and <= 2147483647, got 0 (number)`,
  ],
  [
    'intervalMs beyond a timer',
    build({ intervalMs: 2 ** 31 }),
    RangeError,
    `${W}option \`intervalMs\` must be a finite number > 0 and <= 2147483647, got 2147483648 (number)`,
  ],
  [
    'fastIntervalMs negative',
    build({ fastIntervalMs: -25 }),
    RangeError,
    `${W}option \`fastIntervalMs\` must be a finite number > 0 and <= 2147483647, got -25 (number)`,
  ],
  [
    'fastIntervalMs above intervalMs',
    build({ fastIntervalMs: 2000 }),
    RangeError,
    `${W}option \`fastIntervalMs\` (2000) must not exceed \`intervalMs\` (1000)`,
  ],
  [
    'gcCoalesceMs negative',
    build({ gcCoalesceMs: -1 }),
    RangeError,
    `${W}option \`gcCoalesceMs\` must be a finite number >= 0 and <= 2147483647, got -1 (number)`,
  ],
  // booleans, functions, objects
  [
    'sampleOnGc a string',
    build({ sampleOnGc: 'yes' }),
    TypeError,
    `${W}option \`sampleOnGc\` must be a boolean, got "yes" (string)`,
  ],
  [
    'autoStart a number',
    build({ autoStart: 0 }),
    TypeError,
    `${W}option \`autoStart\` must be a boolean, got 0 (number)`,
  ],
  ['now not a function', build({ now: 5 }), TypeError, `${W}option \`now\` must be a function, got 5 (number)`],
  [
    'now returns NaN',
    build({ now: () => Number.NaN }),
    RangeError,
    `${W}the value returned by option \`now\` must be a finite number, got NaN (number)`,
  ],
  [
    'now returns a string',
    build({ now: () => '1' }),
    TypeError,
    `${W}the value returned by option \`now\` must be a finite number, got "1" (string)`,
  ],
  [
    'historySize 0',
    build({ historySize: 0 }),
    RangeError,
    `${W}option \`historySize\` must be an integer >= 1 and <= 4294967295, got 0 (number)`,
  ],
  [
    'historySize fractional',
    build({ historySize: 1.5 }),
    RangeError,
    `${W}option \`historySize\` must be an integer >= 1 and <= 4294967295, got 1.5 (number)`,
  ],
  [
    'historySize a string',
    build({ historySize: '600' }),
    TypeError,
    `${W}option \`historySize\` must be an integer >= 1 and <= 4294967295, got "600" (string)`,
  ],
  [
    'logger a string',
    build({ logger: 'console' }),
    TypeError,
    `${W}option \`logger\` must be an object with info/warn/error methods, got "console" (string)`,
  ],
  [
    'logger.error not a function',
    build({ logger: { error: 5 } }),
    TypeError,
    `${W}option \`logger.error\` must be a function, got 5 (number)`,
  ],
  [
    'subscribeGc not a function',
    build({ subscribeGc: {} }),
    TypeError,
    `${W}option \`subscribeGc\` must be a function, got an object`,
  ],
  // sources' own options
  [
    'heapSource options',
    () => heapSource(5 as never),
    TypeError,
    'heapSource: options must be an object, got 5 (number)',
  ],
  [
    'heapSource unknown option',
    () => heapSource({ limt: 5 } as never),
    TypeError,
    'heapSource: unknown option `limt` (known: name, limit, flags)',
  ],
  [
    'heapSource name',
    () => heapSource({ name: '' }),
    TypeError,
    'heapSource: option `name` must be a non-empty string, got "" (string)',
  ],
  [
    'heapSource limit negative',
    () => heapSource({ limit: -1 }),
    RangeError,
    'heapSource: option `limit` must be a finite number > 0, got -1 (number)',
  ],
  [
    'heapSource limit a string',
    () => heapSource({ limit: '64mb' as never }),
    TypeError,
    'heapSource: option `limit` must be a finite number > 0, got "64mb" (string)',
  ],
  [
    'heapSource flags',
    () => heapSource({ flags: [] as never }),
    TypeError,
    'heapSource: option `flags` must be an object, got an array',
  ],
  [
    'heapSource flags key',
    () => heapSource({ flags: { argv: [] } as never }),
    TypeError,
    'heapSource: unknown key in option `flags` `argv` (known: execArgv, nodeOptions, workerOldGenerationMb)',
  ],
  [
    'heapSource flags.execArgv',
    () => heapSource({ flags: { execArgv: '--max-old-space-size=64' as never } }),
    TypeError,
    'heapSource: option `flags.execArgv` must be an array of strings, got "--max-old-space-size=64" (string)',
  ],
  [
    'heapSource flags.nodeOptions',
    () => heapSource({ flags: { nodeOptions: ['x'] as never } }),
    TypeError,
    'heapSource: option `flags.nodeOptions` must be a string, got an array',
  ],
  [
    'heapSource flags.workerOldGenerationMb',
    () => heapSource({ flags: { workerOldGenerationMb: -1 } }),
    RangeError,
    'heapSource: option `flags.workerOldGenerationMb` must be a finite number >= 0, got -1 (number)',
  ],
  [
    'rssSource options',
    () => rssSource('rss' as never),
    TypeError,
    'rssSource: options must be an object, got "rss" (string)',
  ],
  [
    'rssSource unknown option',
    () => rssSource({ nme: 'x' } as never),
    TypeError,
    'rssSource: unknown option `nme` (known: name, limit)',
  ],
  [
    'rssSource name',
    () => rssSource({ name: 5 as never }),
    TypeError,
    'rssSource: option `name` must be a non-empty string, got 5 (number)',
  ],
  [
    'rssSource limit 0',
    () => rssSource({ limit: 0 }),
    RangeError,
    'rssSource: option `limit` must be a finite number > 0, got 0 (number)',
  ],
  [
    'rssSource limit NaN',
    () => rssSource({ limit: Number.NaN }),
    RangeError,
    'rssSource: option `limit` must be a finite number > 0, got NaN (number)',
  ],
]

describe('invalid options throw at construction, naming the option and the value', () => {
  it.each(cases)('%s', (_name, make, ErrorClass, message) => {
    let thrown: unknown
    try {
      make()
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ErrorClass)
    // RangeError and TypeError are distinct: a RangeError case must not be a TypeError and vice versa.
    expect((thrown as Error).constructor).toBe(ErrorClass)
    expect((thrown as Error).message).toContain(message)
  })

  it('accepts the boundaries', () => {
    expect(() =>
      build({ thresholds: { warning: 0.01, critical: 0.02, emergency: 1 }, hysteresis: 0.009 })(),
    ).not.toThrow()
    expect(() => build({ hysteresis: 0, recoveryMs: 0, gcCoalesceMs: 0, historySize: 1 })()).not.toThrow()
    expect(() => build({ intervalMs: 25, fastIntervalMs: 25 })()).not.toThrow()
    // fastIntervalMs left at its default follows a shorter intervalMs down instead of failing
    expect(() => build({ intervalMs: 10 })()).not.toThrow()
    expect(() => build({ intervalMs: 10, fastIntervalMs: 20 })()).toThrow(
      new RangeError(`${W}option \`fastIntervalMs\` (20) must not exceed \`intervalMs\` (10)`),
    )
    expect(() => build({ logger: {} })()).not.toThrow()
  })

  it('exposes the resolved settings', () => {
    const pressure = build({ thresholds: { emergency: 0.99 }, hysteresis: 0.1, recoveryMs: 10 })()
    expect(pressure.thresholds).toEqual({ warning: 0.7, critical: 0.85, emergency: 0.99 })
    expect(Object.isFrozen(pressure.thresholds)).toBe(true)
    expect(pressure.hysteresis).toBe(0.1)
    expect(pressure.recoveryMs).toBe(10)
  })
})

describe('listener arguments', () => {
  const pressure = build({})()
  it.each([
    [
      'on',
      () => pressure.on('levels' as never, () => {}),
      RangeError,
      "on: argument `event` must be one of 'sample', 'level', 'error', 'leak', got \"levels\" (string)",
    ],
    [
      'once',
      () => pressure.once('level', 'fn' as never),
      TypeError,
      'once: argument `fn` must be a function, got "fn" (string)',
    ],
    [
      'off',
      () => pressure.off(5 as never),
      TypeError,
      "off: argument `event` must be one of 'sample', 'level', 'error', 'leak', got 5 (number)",
    ],
    [
      'off fn',
      () => pressure.off('sample', null as never),
      TypeError,
      'off: argument `fn` must be a function, got null',
    ],
  ] as Case[])('%s', (_name, make, ErrorClass, message) => {
    expect(make).toThrow(ErrorClass)
    expect(make).toThrow(message)
  })
})
