/**
 * Argument checks shared by every constructor and public function. Messages name the option,
 * the rule and the value received:
 *   createController: option `intervalMs` must be a finite number > 0, got -5 (number)
 */

/** Node's timers take at most 2^31 − 1 ms; a longer delay fires at once. Every delay option is bounded by it. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export function describe(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`
  if (typeof value === 'function') return `a function`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  // Only primitives reach this line: objects and functions are described above.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return `${String(value)} (${typeof value})`
}

export interface NumberRule {
  /** Inclusive lower bound. */
  min?: number
  /** Exclusive lower bound. */
  above?: number
  /** Inclusive upper bound. */
  max?: number
  /** Exclusive upper bound. */
  below?: number
  integer?: boolean
}

function ruleText(rule: NumberRule): string {
  const parts: string[] = []
  if (rule.above !== undefined) parts.push(`> ${rule.above}`)
  if (rule.min !== undefined) parts.push(`>= ${rule.min}`)
  if (rule.below !== undefined) parts.push(`< ${rule.below}`)
  if (rule.max !== undefined) parts.push(`<= ${rule.max}`)
  const kind = rule.integer ? 'an integer' : 'a finite number'
  return parts.length === 0 ? kind : `${kind} ${parts.join(' and ')}`
}

/** TypeError for a non-number, RangeError for NaN/Infinity or a value outside the rule. */
export function checkNumber(where: string, name: string, value: unknown, rule: NumberRule = {}): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: ${name} must be ${ruleText(rule)}, got ${describe(value)}`)
  }
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.below === undefined || value < rule.below)
  if (!ok) throw new RangeError(`${where}: ${name} must be ${ruleText(rule)}, got ${describe(value)}`)
  return value
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function type may be asked for
export function checkFunction<F extends (...args: any[]) => any>(where: string, name: string, value: unknown): F {
  if (typeof value !== 'function') throw new TypeError(`${where}: ${name} must be a function, got ${describe(value)}`)
  return value as F
}

export function checkString(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${where}: ${name} must be a non-empty string, got ${describe(value)}`)
  }
  return value
}

export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${where}: ${name} must be a boolean, got ${describe(value)}`)
  return value
}

/** A plain options object (undefined → {}); unknown keys are a TypeError, so typos never pass silently. */
export function checkOptions<T extends object>(
  where: string,
  name: string,
  value: unknown,
  known: readonly (keyof T & string)[],
): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${where}: ${name} must be an object, got ${describe(value)}`)
  }
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(
        `${where}: unknown ${name === 'options' ? 'option' : `key in ${name}`} \`${key}\` (known: ${known.join(', ')})`,
      )
    }
  }
  return value
}

/**
 * Every option name of `T`, from a record that must name each one: a key missing from the
 * record, or one `T` does not have, fails to compile, so the list can never go stale.
 */
export function optionKeys<T extends object>(keys: Record<keyof T & string, true>): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys)) as (keyof T & string)[]
}

/** One of a fixed set of strings. */
export function checkOneOf<T extends string>(where: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') {
    throw new TypeError(
      `${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    )
  }
  if (!allowed.includes(value as T)) {
    throw new RangeError(
      `${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    )
  }
  return value as T
}

/** The message of anything thrown: an Error's `message`, else its text. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message)
  return String(error)
}

/**
 * Checks that `value` is an object with every one of `methods` as a function (a duck-typed
 * check, so that objects from another copy of heapguard or another realm pass); the message
 * says what was expected.
 */
export function checkMethods<T extends object>(
  where: string,
  name: string,
  value: unknown,
  methods: readonly (keyof T & string)[],
  expected: string,
): T {
  const ok =
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  if (!ok) throw new TypeError(`${where}: ${name} must ${expected}, got ${describe(value)}`)
  return value as T
}
