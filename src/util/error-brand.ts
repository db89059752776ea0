/**
 * `instanceof` for heapguard's error classes across copies of the library. An app can load two
 * copies in one process (the ESM and the CJS build, a bundled one beside the installed one), and
 * `sharedController()` hands both the same controller, so an error built by one copy's class is
 * caught by code that imports the other's. Each class gets a brand, `Symbol.for('heapguard.error.<Name>')`
 * (the same symbol in every copy), on its prototype, so every instance carries it, and a
 * `static [Symbol.hasInstance]` that checks the brand instead of the prototype chain.
 *
 * A subclass (yours, or a later heapguard class) keeps the ordinary prototype check, so it stays
 * precise: its instances are instances of the branded class (they inherit the brand), the
 * branded class's own instances are not instances of the subclass. Call it from a `static {}`
 * block of the class.
 */
export function brandError(cls: abstract new (...args: never[]) => Error, name: string): void {
  const brand = Symbol.for(`heapguard.error.${name}`)
  Object.defineProperty(cls.prototype, brand, { value: true })
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this !== cls) return (Function.prototype[Symbol.hasInstance] as (v: unknown) => boolean).call(this, value)
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
    },
  })
}
