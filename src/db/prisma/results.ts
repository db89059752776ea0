import { learnFanout, type ModelInfo, type Relation } from './models.js'
import type { ReadNode, Trim } from './plan.js'

/** Rows of each model a read learns value sizes from: the first, middle and last of its lists. */
const SAMPLE_ROWS = 3

/**
 * Walks one read's result along its plan: trims the lists that came back beyond the cap (they
 * were asked for `cap + 1` rows), notes which models were cut, learns which relations are lists
 * and how many rows a parent brings, and samples rows for the size of their fields. The only
 * change to the result is the trim.
 */
export class ResultWalk {
  /** Models whose lists the cap cut short in this read. */
  readonly capped = new Set<string>()
  /** Models whose rows were sampled. */
  readonly learnt = new Set<ModelInfo>()
  readonly #learn: boolean
  // Made at first use: most reads have no relation, and are sampled once.
  #sampled: Map<ModelInfo, number> | undefined
  #fanout: Map<Relation, { parents: number; children: number }> | undefined

  constructor(learn: boolean) {
    this.#learn = learn
  }

  /** A list of rows of `node` (a `findMany` result, or a relation's list). */
  list(rows: unknown, node: ReadNode, trim: Trim | undefined): void {
    if (!Array.isArray(rows)) return
    if (trim !== undefined && rows.length > trim.cap) {
      if (trim.fromEnd) rows.splice(0, rows.length - trim.cap)
      else rows.length = trim.cap
      this.capped.add(node.model.name)
    }
    this.#sample(node.model, rows)
    if (node.relations.length > 0) for (const row of rows) this.#children(row, node)
  }

  /** One row of `node` (a `findUnique` or `findFirst` result, or a to-one relation's row), or null. */
  one(row: unknown, node: ReadNode): void {
    if (row === null || typeof row !== 'object') return
    this.#sample(node.model, [row])
    this.#children(row, node)
  }

  /** The value of a relation for one parent, `value` being a list or one row. */
  relation(value: unknown, relation: Relation, node: ReadNode, trim: Trim | undefined): void {
    if (Array.isArray(value)) {
      relation.list ??= true
      this.list(value, node, trim)
      this.#count(relation, value.length)
    } else if (value !== undefined) {
      // A list is never null: an object or null is a to-one relation.
      relation.list ??= false
      this.one(value, node)
    }
  }

  /** Applies what the walk learnt of each relation's rows a parent. */
  finish(): void {
    for (const [relation, { parents, children }] of this.#fanout ?? []) learnFanout(relation, parents, children)
  }

  #children(row: unknown, node: ReadNode): void {
    if (row === null || typeof row !== 'object') return
    for (const read of node.relations) {
      this.relation((row as Record<string, unknown>)[read.relation.field], read.relation, read.node, read.trim)
    }
  }

  #count(relation: Relation, children: number): void {
    const fanout = (this.#fanout ??= new Map<Relation, { parents: number; children: number }>())
    const seen = fanout.get(relation)
    if (seen === undefined) fanout.set(relation, { parents: 1, children })
    else {
      seen.parents++
      seen.children += children
    }
  }

  #sample(model: ModelInfo, rows: readonly unknown[]): void {
    if (!this.#learn || rows.length === 0) return
    const sampled = (this.#sampled ??= new Map<ModelInfo, number>())
    const taken = sampled.get(model) ?? 0
    if (taken >= SAMPLE_ROWS) return
    const picks = rows.length <= SAMPLE_ROWS ? rows : [rows[0], rows[rows.length >> 1], rows[rows.length - 1]]
    let n = taken
    for (const row of picks) {
      if (n >= SAMPLE_ROWS) break
      if (row !== null && typeof row === 'object') {
        model.learnRow(row)
        n++
      }
    }
    sampled.set(model, n)
    this.learnt.add(model)
  }
}
