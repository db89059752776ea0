import { estimateSize } from '../../caches/estimate-size.js'
import type { ModelSchema } from './schema.js'

// What the extension knows and learns about each model: the heap bytes of each scalar field's
// values (so a `select` of three fields is estimated by those three), and for each relation
// whether it is a list and how many rows a parent brings on average. All of it is an estimate
// that feeds reservations; none of it changes a result.

/** A plain object's header and the slot of each property, as the size estimator counts them. */
const ROW_HEADER = estimateSize({})
const SLOT = estimateSize({ a: 1 }) - ROW_HEADER

/** How fast learnt figures follow new reads (an exponentially weighted mean). */
const SIZE_WEIGHT = 0.2
const FANOUT_WEIGHT = 0.3

/**
 * A first guess at a value's bytes by its Prisma type, until rows of the model have been seen:
 * a string of 24 characters, a Date, a boxed double, …
 */
const PRIOR_BY_TYPE: Record<string, number> = {
  Int: 0,
  Boolean: 0,
  Float: estimateSize(0.5),
  BigInt: estimateSize(2n ** 63n),
  String: estimateSize('x'.repeat(24)),
  Enum: estimateSize('x'.repeat(8)),
  DateTime: estimateSize(new Date(0)),
  Decimal: 64,
  Json: 128,
  Bytes: 64,
}
const PRIOR_OTHER = 32

export interface FieldSize {
  /** Bytes of a value (beyond its slot in the row). */
  bytes: number
  seen: number
}

export interface Relation {
  readonly owner: string
  readonly field: string
  readonly target: string
  /** Whether the field is a list: from the schema, else learnt from the first result that holds it. */
  list: boolean | undefined
  /** Rows a parent brought, on average over recent reads (1 until a read has shown it). */
  fanout: number
  seen: number
}

export class ModelInfo {
  readonly name: string
  readonly fields = new Map<string, FieldSize>()
  readonly relations = new Map<string, Relation>()
  /** Bytes a row from the `rowBytes` option: used instead of what is learnt. */
  readonly given: number | undefined
  /** Top-level reads so far, to thin the sampling once the figures have settled. */
  reads = 0

  constructor(name: string, schema: ModelSchema | undefined, given: number | undefined) {
    this.name = name
    this.given = given
    for (const [field, type] of schema?.scalars ?? []) {
      this.fields.set(field, { bytes: PRIOR_BY_TYPE[type] ?? PRIOR_OTHER, seen: 0 })
    }
    for (const [field, { target, list }] of schema?.relations ?? []) {
      this.relations.set(field, { owner: name, field, target, list, fanout: 1, seen: 0 })
    }
  }

  /** Whether rows of the model have been seen (else its sizes are first guesses from the field types). */
  get learnt(): boolean {
    for (const size of this.fields.values()) if (size.seen > 0) return true
    return false
  }

  /** A relation the schema did not name (a client without a readable data model): learnt from now on. */
  relation(field: string, target: string): Relation {
    let relation = this.relations.get(field)
    if (relation === undefined) {
      relation = { owner: this.name, field, target, list: undefined, fanout: 1, seen: 0 }
      this.relations.set(field, relation)
    }
    return relation
  }

  /**
   * Heap bytes of one row holding `fields` (every scalar field when undefined, less `omit`):
   * the `rowBytes` option when given, else the object's header, a slot a field, and each field's
   * learnt (or first-guess) value size.
   */
  rowBytes(fields?: readonly string[], omit?: ReadonlySet<string>): number {
    if (this.given !== undefined) return this.given
    let bytes = ROW_HEADER
    if (fields === undefined) {
      for (const [name, size] of this.fields) if (omit === undefined || !omit.has(name)) bytes += SLOT + size.bytes
    } else {
      for (const name of fields) bytes += SLOT + (this.fields.get(name)?.bytes ?? PRIOR_OTHER)
    }
    return bytes
  }

  /** Learns the value sizes of one row's scalar fields (relations and `_count` are skipped). */
  learnRow(row: object): void {
    for (const key of Object.keys(row)) {
      if (key === '_count' || this.relations.has(key)) continue
      const bytes = valueBytes((row as Record<string, unknown>)[key])
      const size = this.fields.get(key)
      if (size === undefined) this.fields.set(key, { bytes, seen: 1 })
      else {
        size.bytes = size.seen === 0 ? bytes : size.bytes + SIZE_WEIGHT * (bytes - size.bytes)
        size.seen++
      }
    }
  }
}

/** Learns a relation's rows a parent from one read: `children` rows over `parents` parents. */
export function learnFanout(relation: Relation, parents: number, children: number): void {
  if (parents === 0) return
  const mean = children / parents
  relation.fanout = relation.seen === 0 ? mean : relation.fanout + FANOUT_WEIGHT * (mean - relation.fanout)
  relation.seen++
}

/** A value's bytes beyond its slot: nothing for small integers, booleans and null (V8 keeps them in the slot). */
function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 0
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 0 : estimateSize(value)
  return estimateSize(value)
}

/** The models of one client, built from its schema; models it did not describe are added when first read. */
export class Models {
  readonly #byName = new Map<string, ModelInfo>()
  readonly #schema: ReadonlyMap<string, ModelSchema>
  readonly #given: Readonly<Record<string, number>>

  constructor(schema: ReadonlyMap<string, ModelSchema>, given: Readonly<Record<string, number>>) {
    this.#schema = schema
    this.#given = given
    for (const name of schema.keys()) this.#byName.set(name, new ModelInfo(name, schema.get(name), given[name]))
  }

  /** Model names the client described (empty when it had no readable data model). */
  get described(): readonly string[] {
    return [...this.#schema.keys()]
  }

  get(name: string): ModelInfo {
    let model = this.#byName.get(name)
    if (model === undefined) {
      model = new ModelInfo(name, undefined, this.#given[name])
      this.#byName.set(name, model)
    }
    return model
  }
}
