import { describe } from './validate.js'

/** An AbortSignal, checked by shape so that signals from another realm or polyfill pass too. */
export function checkSignal(where: string, name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined
  if (
    typeof value !== 'object' ||
    value === null ||
    !('aborted' in value) ||
    typeof value.aborted !== 'boolean' ||
    !('addEventListener' in value) ||
    typeof value.addEventListener !== 'function'
  ) {
    throw new TypeError(`${where}: ${name} must be an AbortSignal, got ${describe(value)}`)
  }
  return value as AbortSignal
}
