import type { PermitCallback, ShedPermit } from '../degrade/shed/permit.js'
import type { Priority } from '../degrade/shed/priority.js'
import type { AcquireOptions } from '../degrade/shed/types.js'
import { describe } from '../util/validate.js'
import type { ReserveTarget } from './policy.js'

/**
 * What an adapter uses of a controller, the type of its `pressure` option: the shedder's public
 * API only, so that an adapter of one copy of heapguard (ESM, CJS, a bundled copy) serves a
 * controller built by another (`sharedController()`). A controller from `createController()`
 * fits it; its `#private` fields would not, across copies.
 */
export interface GuardTarget {
  readonly shed: {
    acquire(priority: Priority, callback: PermitCallback, options?: AcquireOptions): ShedPermit
    readonly retryAfter: number
  }
  /** Where failures of user callbacks go (the controller's `'error'`); never throws. */
  readonly report: (error: unknown) => void
  /** `pressure.reserve`: needed only with a `bytes` option (a controller older than reservations has none). */
  readonly reserve?: ReserveTarget['reserve']
}

/** A controller as a guard holds it: checked, its methods bound, and whether its slots can matter. */
export interface Target extends GuardTarget {
  /**
   * Whether a slot can matter: some level has a concurrency limit. The Web guard then follows a
   * request to its end (abort, streamed body); otherwise it gives the slot back with the Response.
   */
  readonly follows: boolean
}

/**
 * The target of an adapter given a controller: checked by shape, not by class, so a controller
 * from the CommonJS build works with the ESM adapter and back.
 */
export function targetOf(where: string, pressure: unknown): Target {
  const p = pressure as Partial<GuardTarget> | null | undefined
  if (
    typeof p?.shed?.acquire !== 'function' ||
    typeof p.shed.retryAfter !== 'number' ||
    typeof p.report !== 'function'
  ) {
    throw new TypeError(
      `${where}: option \`pressure\` must be the controller from createController(), got ${describe(pressure)}`,
    )
  }
  const controller = p as GuardTarget
  const reserve = typeof controller.reserve === 'function' ? controller.reserve : undefined
  // A copy of heapguard without `shed.limits` cannot say: follow every request to be safe.
  const limits = (controller.shed as { limits?: unknown }).limits
  const follows = typeof limits !== 'object' || limits === null || Object.values(limits).some((limit) => limit !== null)
  return {
    shed: controller.shed,
    report: (error) => controller.report(error),
    follows,
    ...(reserve === undefined
      ? {}
      : { reserve: (bytes: number, options?: { priority?: Priority }) => reserve.call(controller, bytes, options) }),
  }
}
