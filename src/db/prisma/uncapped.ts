import { AsyncLocalStorage } from 'node:async_hooks'
import { isThenable } from '../../util/safe-call.js'
import { checkFunction } from '../../util/validate.js'

// One store for every copy of heapguard in the process (kept on globalThis): `uncapped()` from a
// route's bundle must be seen by the extension that another bundle installed on the client.
const KEY = Symbol.for('heapguard.prisma.uncapped.v1')
type Global = typeof globalThis & { [KEY]?: AsyncLocalStorage<true> }
const scope: AsyncLocalStorage<true> = ((globalThis as Global)[KEY] ??= new AsyncLocalStorage<true>())

/**
 * Runs `fn` with no cap on the Prisma reads it makes, and on those of everything it awaits or
 * starts (an `AsyncLocalStorage` scope): for the reads that must see every row, such as an
 * export. Only those reads: reads elsewhere in the process, at the same moment, stay capped.
 * They still reserve what they will hold before they run, and are refused with a `ShedError`
 * when it does not fit: a read with a `take` reserves for it; a `findMany` without one first runs
 * a `count()` with the same `where`.
 *
 * Returns what `fn` returns; a promise (or a Prisma query, which is a lazy thenable that runs only
 * when awaited) as a promise of its result, started inside the scope.
 *
 *   const rows = await uncapped(() => prisma.assessment.findMany({ where: { schoolId } }))
 */
export function uncapped<T>(fn: () => T): T extends PromiseLike<infer U> ? Promise<U> : T {
  checkFunction('uncapped', 'argument `fn`', fn)
  return scope.run(true, () => {
    const result = fn()
    // A Prisma query starts when its `then` is called: call it here, inside the scope, not at the caller's await.
    if (isThenable(result)) {
      return new Promise((resolve, reject) => {
        void result.then(resolve, reject)
      })
    }
    return result
  }) as T extends PromiseLike<infer U> ? Promise<U> : T
}

/** True inside `uncapped()`. */
export function isUncapped(): boolean {
  return scope.getStore() === true
}
