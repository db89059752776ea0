import type { ControllerCore } from '../../pressure/core.js'
import type { SourceReading } from '../../pressure/types.js'
import { checkNumber, checkOneOf, checkOptions } from '../../util/validate.js'
import type { ShedError } from '../shed/error.js'
import { PRIORITIES, type Priority } from '../shed/priority.js'
import { SourceAccount } from './account.js'
import { formatBytes } from '../../util/format-bytes.js'
import { ReservationLeakError } from './leak.js'
import type { ReservationLines } from './lines.js'
import { checkSource, type ReconcileRule, type ResolvedReservationOptions } from './options.js'
import { LedgerReservation, type HeldEntry, type Reservation, type ReservationOwner } from './reservation.js'

/** `pressure.reserve(bytes, options)`. */
export interface ReserveOptions {
  /** Default `'normal'`: picks the line the reservation must stay below (see `pressure.reservations.lines`). */
  priority?: Priority
  /** The source it counts against; default `createController({ reservations: { source } })`, else `'heap'`. */
  source?: string
}

/** `pressure.reservations.stats()`. */
export interface ReservationStats {
  /** Reservations held now. */
  active: number
  /** Bytes they add to their sources now (`pressure.reserved`): what their work has not yet allocated. */
  reserved: number
  /** Bytes they were made for (their `bytes`, summed). */
  held: number
  /** Bytes caches gave back for reservations that the heap has not yet collected. */
  reclaimed: number
  /** Bytes evicted from caches to make room for reservations, since the controller started. */
  claimedFromCaches: number
  granted: Record<Priority, number>
  refused: Record<Priority, number>
  /** Reservations the leak guard expired (held past `maxHoldMs`). */
  expired: number
  /**
   * Released reservations whose source grew far more than they reserved while they were held (what
   * other reservations announced meanwhile taken off: at least twice their bytes, and 1 % of the
   * source's limit over them): an estimate to measure again. The first of each priority is logged
   * as a warning (`HEAPGUARD_RESERVATION_UNDERESTIMATED`).
   */
  underestimated: Record<Priority, number>
  lines: ReservationLines
  reconcile: ReconcileRule
  maxHoldMs: number
}

/** One live reservation, as `pressure.reservations.list()` shows it. */
export interface ReservationInfo {
  priority: Priority
  bytes: number
  /** What it still adds to its source. */
  counted: number
  source: string
  /** How long it has been held (ms). */
  ageMs: number
}

/** What the ledger needs besides the core: the lines, the caches' room, and the shedder's refusal count. */
export interface LedgerDeps {
  /** The lines now (recomputed when `configure()` changes the thresholds they come from). */
  readonly lines: () => ReservationLines
  readonly options: ResolvedReservationOptions
  reclaimable(): number
  /** Evicts at least `bytes` from the caches and holds the room down until the claim is released. */
  reclaim(bytes: number): { readonly freed: number; release(): void }
  /** Counts a refusal (shed stats, `'refused'` event) and builds its `ShedError` with reason `'memory'`. */
  refuse(priority: Priority): ShedError
}

const W = 'reserve'
const OPTION_KEYS: readonly (keyof ReserveOptions & string)[] = ['priority', 'source']
const zeros = (): Record<Priority, number> => ({ critical: 0, high: 0, normal: 0, low: 0 })

/**
 * The reservation ledger, `pressure.reservations`: what work has announced it will hold, counted
 * against a source as if it were already allocated, so that work that cannot fit is refused
 * before it allocates. Reserve with `pressure.reserve()`; see docs/reservations.md for the rules.
 */
export interface Reservations {
  /** The ratio each priority's reservations must stay below (from the admission table and the thresholds). */
  readonly lines: ReservationLines
  /** @deprecated Since 0.2.0: read `pressure.reserved`, the same figure. To be removed in 1.0. */
  readonly reserved: number
  /** @deprecated Since 0.2.0: call `pressure.reserve()`, the same function. To be removed in 1.0. */
  reserve(bytes: number, options?: ReserveOptions): Reservation
  /** The live reservations, oldest first. */
  list(): ReservationInfo[]
  stats(): ReservationStats
}

/** The estimate check: the source grew at least this many times a reservation's bytes while it was held… */
const UNDERESTIMATE_FACTOR = 2
/** …and the growth nobody announced must be at least this share of the source's limit… */
const UNDERESTIMATE_LIMIT_SHARE = 0.01
/** …and this many bytes: small reservations on a busy heap say nothing. */
const UNDERESTIMATE_MIN_BYTES = 1024 * 1024

/** The controller's `Reservations`; `pressure.reserve()` and `pressure.reserved` are its `reserve` and `reserved`. */
export class ReservationLedger implements Reservations {
  readonly #core: ControllerCore
  readonly #deps: LedgerDeps
  readonly #sourceNames: readonly string[]
  readonly #accounts = new Map<string, SourceAccount>()
  readonly #granted = zeros()
  readonly #refused = zeros()
  /** Priorities whose would-be refusal observe mode has logged (cleared when enforcing). */
  readonly #previewed = new Set<Priority>()
  #expired = 0
  #claimed = 0
  readonly #underestimated = zeros()
  /** Bytes granted per source since the start: what other work announced while a reservation was held. */
  readonly #grantedBytes = new Map<string, number>()
  /** Priorities whose first underestimate was logged: once each, for the controller's life. */
  readonly #warnedUnderestimate = new Set<Priority>()

  constructor(core: ControllerCore, deps: LedgerDeps) {
    this.#core = core
    this.#deps = deps
    this.#sourceNames = core.readings.sources.map((s) => s.name)
    core.readings.adjust((name, reading, afterMajorGc) => this.#adjust(name, reading, afterMajorGc))
    // Reservations made before close() stop counting; their release() stays harmless.
    core.onClose(() => {
      for (const account of this.#accounts.values()) {
        for (const entry of account.entries()) entry.claim?.release()
        account.clear()
      }
      this.#accounts.clear()
    })
  }

  get lines(): ReservationLines {
    return this.#deps.lines()
  }

  /** Bytes live reservations add to their sources now (0 when none). */
  get reserved(): number {
    let total = 0
    for (const account of this.#accounts.values()) total += account.outstanding(account.lastUsed ?? 0)
    return total
  }

  /**
   * Reserves `bytes` for work about to allocate them. Granted while `(used + reserved + bytes) /
   * limit` of its source stays below the line of its priority; when it does not, the caches are
   * asked for room first (lowest priority first, least recently used first), and it is refused
   * (a `ShedError` with reason `'memory'`) only when what they can give back is not enough.
   * Granting runs the level logic at once with the reservation counted.
   */
  reserve(bytes: number, options?: ReserveOptions): Reservation {
    checkNumber(W, 'argument `bytes`', bytes, { min: 0 })
    const { priority = 'normal', source } = checkOptions<ReserveOptions>(W, 'options', options, OPTION_KEYS)
    checkOneOf(W, 'option `priority`', priority, PRIORITIES)
    const name =
      source === undefined ? this.#deps.options.source : checkSource(W, 'option `source`', source, this.#sourceNames)
    const now = this.#core.now()
    const reading = this.#core.closed ? undefined : this.#core.readings.read(name)
    const known = this.#accounts.get(name)
    const usedAtGrant = reading?.used ?? known?.lastUsed ?? 0
    const entry: HeldEntry = {
      bytes,
      priority,
      source: name,
      grantedAt: now,
      outstanding: bytes,
      projected: 0,
      state: 'held',
      usedAtGrant,
      peakUsed: usedAtGrant,
      othersAtGrant: {
        granted: this.#grantedBytes.get(name) ?? 0,
        outstanding: known === undefined ? 0 : known.outstanding(usedAtGrant),
      },
      limitAtGrant: reading?.limit ?? Infinity,
    }
    if (this.#core.closed) {
      // A closed controller admits everything and counts nothing, as shedding does.
      entry.state = 'released'
      entry.outstanding = 0
      return new LedgerReservation(entry, this.#owner)
    }
    if (!this.#core.observing) this.#previewed.clear()
    const account = this.#accountFor(name, reading)
    if (reading !== undefined) {
      account.observe(reading.used, false)
      this.#expireLeaks(now)
      const fit = this.#core.observing
        ? this.#preview(account, reading, bytes, priority)
        : this.#fit(account, reading, bytes, priority)
      if (fit === false) {
        this.#refused[priority]++
        // The fresh reading counts either way: the level (and the refusal's) is what it says now.
        this.#core.readings.regrade()
        throw this.#deps.refuse(priority)
      }
      entry.claim = fit
    }
    account.add(entry, reading?.used ?? account.lastUsed ?? 0)
    this.#grantedBytes.set(name, (this.#grantedBytes.get(name) ?? 0) + bytes)
    this.#granted[priority]++
    this.#core.readings.regrade()
    return new LedgerReservation(entry, this.#owner)
  }

  list(): ReservationInfo[] {
    const now = this.#core.now()
    const out: ReservationInfo[] = []
    for (const account of this.#accounts.values()) {
      const used = account.lastUsed ?? 0
      for (const e of account.entries()) {
        out.push({
          priority: e.priority,
          bytes: e.bytes,
          counted: account.counted(e, used),
          source: e.source,
          ageMs: now - e.grantedAt,
        })
      }
    }
    return out.sort((a, b) => b.ageMs - a.ageMs)
  }

  stats(): ReservationStats {
    let active = 0
    let held = 0
    let reclaimed = 0
    for (const account of this.#accounts.values()) {
      active += account.size
      held += account.heldBytes
      reclaimed += account.reclaimed
    }
    const { options } = this.#deps
    const lines = this.#deps.lines()
    return {
      active,
      reserved: this.reserved,
      held,
      reclaimed,
      claimedFromCaches: this.#claimed,
      granted: { ...this.#granted },
      refused: { ...this.#refused },
      expired: this.#expired,
      underestimated: { ...this.#underestimated },
      lines,
      reconcile: options.reconcile,
      maxHoldMs: options.maxHoldMs,
    }
  }

  /**
   * Whether `bytes` fits below the line (undefined: it does; false: it does not), after claiming
   * room from the caches when it does not at first (the claim, held for the reservation's life).
   * The caches are asked only when what they hold could make the difference, so a reservation
   * that cannot fit anyway evicts nothing.
   */
  #fit(
    account: SourceAccount,
    reading: SourceReading,
    bytes: number,
    priority: Priority,
  ): { release(): void } | undefined | false {
    const line = this.#deps.lines()[priority] * reading.limit
    const projected = account.effective(reading.used) + bytes
    if (projected < line) return undefined
    const need = projected - line + 1
    // A reservation claims room for its own bytes, never to relieve pressure others caused.
    if (need > bytes || this.#deps.reclaimable() < need) return false
    const claim = this.#deps.reclaim(need)
    this.#claimed += claim.freed
    // Evicted is not yet collected: the credit keeps the room counted as free until a GC frees it.
    account.credit(claim.freed)
    if (account.effective(reading.used) + bytes < line) return claim
    claim.release()
    return false
  }

  /**
   * Observe mode: the reservation is granted and counted, nothing is claimed from the caches, and a
   * refusal it would have met is logged (once per priority until the mode changes back).
   */
  #preview(account: SourceAccount, reading: SourceReading, bytes: number, priority: Priority): undefined {
    const line = this.#deps.lines()[priority] * reading.limit
    if (account.effective(reading.used) + bytes < line) return undefined
    if (!this.#previewed.has(priority)) {
      this.#previewed.add(priority)
      const { logger } = this.#core
      const log = logger.info ?? logger.warn
      log?.call(
        logger,
        `heapguard (observe): a '${priority}' reservation of ${bytes} bytes would be refused (over its line of ${line.toFixed(0)} bytes); granted in observe mode`,
      )
    }
    return undefined
  }

  #accountFor(name: string, reading: SourceReading | undefined): SourceAccount {
    let account = this.#accounts.get(name)
    if (account === undefined) {
      account = new SourceAccount(name, this.#deps.options.reconcile, reading?.used)
      this.#accounts.set(name, account)
    }
    return account
  }

  /** The adjustment of every reading (see `ReadingAdjust`): reconcile, expire leaks, count what is still reserved. */
  #adjust(name: string, raw: SourceReading, afterMajorGc: boolean): SourceReading {
    const account = this.#accounts.get(name)
    if (account === undefined) return raw
    account.observe(raw.used, afterMajorGc)
    this.#expireLeaks(this.#core.now())
    return {
      used: raw.used,
      limit: raw.limit,
      ratio: account.effective(raw.used) / raw.limit,
      reserved: account.outstanding(raw.used),
      reclaimed: account.reclaimed,
    }
  }

  /** The leak guard: reservations held past `maxHoldMs` are reported and stop counting. */
  #expireLeaks(now: number): void {
    const { maxHoldMs } = this.#deps.options
    for (const account of this.#accounts.values()) {
      if (account.size === 0) continue
      for (const entry of account.grantedBefore(now - maxHoldMs)) {
        account.remove(entry)
        entry.claim?.release()
        entry.state = 'expired'
        this.#expired++
        this.#core.report(
          new ReservationLeakError({
            priority: entry.priority,
            bytes: entry.bytes,
            source: entry.source,
            ageMs: now - entry.grantedAt,
            maxHoldMs,
          }),
        )
      }
    }
  }

  /**
   * At release: did the source grow far past what the reservation announced while it was held (an
   * import estimated for 20,000 rows when the table had 102,000)? What other reservations
   * announced meanwhile (granted during its hold, or live at its grant and not yet allocated) is
   * taken off the growth; the rest must be at least its bytes again (2× in all) and at least 1 %
   * of the source's limit (1 MiB at least), so that the ordinary churn of a busy heap beside a
   * small reservation says nothing. Every such release is counted; the first of each priority logged.
   */
  #checkEstimate(entry: HeldEntry): void {
    const others =
      (this.#grantedBytes.get(entry.source) ?? 0) -
      entry.othersAtGrant.granted -
      entry.bytes +
      entry.othersAtGrant.outstanding
    const grew = entry.peakUsed - entry.usedAtGrant
    const unexplained = grew - entry.bytes - others
    const floor = Math.max(UNDERESTIMATE_MIN_BYTES, UNDERESTIMATE_LIMIT_SHARE * entry.limitAtGrant)
    if (unexplained < (UNDERESTIMATE_FACTOR - 1) * entry.bytes || unexplained < floor) return
    this.#underestimated[entry.priority]++
    if (this.#warnedUnderestimate.has(entry.priority)) return
    this.#warnedUnderestimate.add(entry.priority)
    const { logger } = this.#core
    const heldMs = this.#core.now() - entry.grantedAt
    const besides = others > 0 ? `, ${formatBytes(others)} of it announced by other reservations` : ''
    logger.warn?.call(
      logger,
      `heapguard: HEAPGUARD_RESERVATION_UNDERESTIMATED: a '${entry.priority}' reservation of ${formatBytes(entry.bytes)} ` +
        `saw source "${entry.source}" grow ${formatBytes(grew)} (${(grew / Math.max(1, entry.bytes)).toFixed(1)}× its bytes${besides}) ` +
        `while it was held (${(heldMs / 1000).toFixed(1)} s): measure its estimate again (logged once per priority, ` +
        `counted in reservations_underestimated_total)`,
    )
  }

  readonly #owner: ReservationOwner = {
    release: (entry) => {
      const account = this.#accounts.get(entry.source)
      if (account?.lastUsed !== undefined && account.lastUsed > entry.peakUsed) entry.peakUsed = account.lastUsed
      account?.remove(entry)
      entry.claim?.release()
      this.#checkEstimate(entry)
    },
    counted: (entry) => {
      const account = this.#accounts.get(entry.source)
      return account === undefined ? 0 : account.counted(entry, account.lastUsed ?? 0)
    },
  }
}
