import { checkBoolean, checkFunction, checkOptions } from '../../util/validate.js'

/** Options of `cache.getOrLoad(key, loader, options)`. */
export interface GetOrLoadOptions {
  /**
   * Skip the cached entry and any load in flight: always call the loader, then store its result
   * (replacing the entry). For reads where a stale answer is a risk, such as permission checks.
   */
  bypass?: boolean
}

/** Computes the value for a key on a miss; may return it or a promise of it. */
export type Loader<K, V> = (key: K) => V | PromiseLike<V>

const LOAD_OPTION_KEYS: readonly (keyof GetOrLoadOptions)[] = ['bypass']

/** Checks the arguments of `getOrLoad`; returns whether the load bypasses the cache. */
export function checkLoad(where: string, loader: unknown, options: unknown): boolean {
  checkFunction(where, 'argument `loader`', loader)
  if (options === undefined) return false
  const { bypass } = checkOptions<GetOrLoadOptions>(where, 'options', options, LOAD_OPTION_KEYS)
  return bypass === undefined ? false : checkBoolean(where, 'option `bypass`', bypass)
}

/**
 * Loads in flight, one per key, so that concurrent misses on a key share one loader call.
 *
 * A load writes its result to the cache only if it is still the key's current load when it
 * settles: a `set`, `delete` or invalidation of the key while it runs (or a newer bypass load)
 * makes it stale, and it then only answers its own callers. That keeps an old answer from
 * overwriting a newer one.
 */
export class InFlightLoads<K, V> {
  readonly #loads = new Map<K, Promise<V>>()
  /** Loader calls started. */
  started = 0
  /** Loader calls that threw or rejected. */
  failed = 0

  /** The load in flight for `key`, if any. */
  current(key: K): Promise<V> | undefined {
    return this.#loads.get(key)
  }

  /** Calls `loader(key)` and becomes the key's current load; `store` receives the value if it is still current when it settles. */
  start(key: K, loader: Loader<K, V>, store: (key: K, value: V) => void): Promise<V> {
    this.started++
    let result: V | PromiseLike<V>
    try {
      result = loader(key)
    } catch (error) {
      // A loader that throws synchronously fails like one that rejects: nothing to share, nothing cached.
      this.failed++
      return Promise.reject(error)
    }
    const load: Promise<V> = Promise.resolve(result).then(
      (value) => {
        if (this.#loads.get(key) === load) {
          this.#loads.delete(key)
          store(key, value)
        }
        return value
      },
      (error: unknown) => {
        this.failed++
        if (this.#loads.get(key) === load) this.#loads.delete(key)
        throw error
      },
    )
    this.#loads.set(key, load)
    return load
  }

  /** Makes the key's current load stale (it will not write to the cache). */
  drop(key: K): void {
    this.#loads.delete(key)
  }

  /** Drops the loads whose key passes `test`. */
  dropWhere(test: (key: K) => boolean): void {
    for (const key of this.#loads.keys()) if (test(key)) this.#loads.delete(key)
  }

  /** Makes every load in flight stale. */
  dropAll(): void {
    this.#loads.clear()
  }
}
