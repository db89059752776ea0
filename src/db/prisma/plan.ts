import type { ModelInfo, Models, Relation } from './models.js'

// Reads a read's arguments into a plan: the lists it asks for at every depth (`include`, `select`,
// a fluent read's `select` chain), with the cap applied to each, and what the estimate and the
// result walk need. Arguments are never modified: the objects on the path to a change are copied.

/**
 * A list read beyond the cap: it is asked for `cap + 1` rows, so that a result larger than the
 * cap shows (and is counted), and trimmed back to `cap` rows, from the end a negative take counts from.
 */
export interface Trim {
  readonly cap: number
  readonly fromEnd: boolean
}

/** The rows of one model a read holds at one place in its result. */
export interface ReadNode {
  readonly model: ModelInfo
  /** The scalar fields selected; undefined: every field, less `omit`. */
  readonly fields: string[] | undefined
  readonly omit: Set<string> | undefined
  readonly relations: RelationRead[]
}

export interface RelationRead {
  readonly relation: Relation
  readonly node: ReadNode
  /** The most rows a parent brings: the cap, the caller's smaller take, or Infinity (uncapped). */
  readonly bound: number
  readonly trim: Trim | undefined
}

export interface ReadPlan {
  /** The arguments to send: the caller's, with the caps applied. */
  readonly args: unknown
  readonly root: ReadNode
  /** Top-level rows: 1 for `findFirst`/`findUnique`; for `findMany` its bound (Infinity when uncapped without a take). */
  readonly bound: number
  readonly trim: Trim | undefined
}

/** How lists are capped for one read. */
export interface CapRule {
  /** Rows a list may hold at the level now; undefined inside `uncapped()`. */
  readonly cap: number | undefined
  /** Called for a take above the cap when `onCap` is `'throw'`; throws. */
  readonly refuse: ((model: string, take: number, relation?: Relation) => never) | undefined
}

type Args = Record<string, unknown>

const isObject = (value: unknown): value is Args => value !== null && typeof value === 'object' && !Array.isArray(value)

/** The take to send for a list, its bound, and its trim. `send` undefined: the caller's take stands. */
function capTake(
  take: unknown,
  rule: CapRule,
  model: string,
  relation: Relation | undefined,
): { send: number | undefined; bound: number; trim: Trim | undefined } {
  const cap = rule.cap
  const asked = typeof take === 'number' && Number.isFinite(take) ? Math.abs(take) : undefined
  if (cap === undefined) return { send: undefined, bound: asked ?? Infinity, trim: undefined }
  if (take === undefined || take === null) return { send: cap + 1, bound: cap, trim: { cap, fromEnd: false } }
  // Anything but a number is left to Prisma's own validation, which rejects it before the database.
  if (asked === undefined || asked <= cap) return { send: undefined, bound: asked ?? cap, trim: undefined }
  rule.refuse?.(model, take as number, relation)
  const negative = (take as number) < 0
  return { send: negative ? -(cap + 1) : cap + 1, bound: cap, trim: { cap, fromEnd: negative } }
}

/** Plans a read of `model` (`findMany` reads a list; the other reads one row) with arguments `args`. */
export function planRead(models: Models, model: string, many: boolean, args: unknown, rule: CapRule): ReadPlan {
  const info = models.get(model)
  let sent = args
  let bound = 1
  let trim: Trim | undefined
  if (many) {
    const t = capTake(isObject(args) ? args.take : undefined, rule, model, undefined)
    bound = t.bound
    trim = t.trim
    if (t.send !== undefined) sent = { ...(isObject(args) ? args : {}), take: t.send }
  }
  const { args: out, node } = readSelection(models, info, sent, rule)
  return { args: out, root: node, bound, trim }
}

/** The node of a selection (`args.select`, else `args.include`), with its relations capped. */
function readSelection(
  models: Models,
  model: ModelInfo,
  args: unknown,
  rule: CapRule,
): { args: unknown; node: ReadNode } {
  const node: {
    model: ModelInfo
    fields: string[] | undefined
    omit: Set<string> | undefined
    relations: RelationRead[]
  } = { model, fields: undefined, omit: undefined, relations: [] }
  if (!isObject(args)) return { args, node }
  let out = args
  if (isObject(args.omit)) node.omit = new Set(Object.keys(args.omit).filter((k) => (args.omit as Args)[k] === true))
  if (isObject(args.select)) {
    node.fields = []
    const select = readRelations(models, model, args.select, node, rule, true)
    if (select !== args.select) out = { ...args, select }
  } else if (isObject(args.include)) {
    const include = readRelations(models, model, args.include, node, rule, false)
    if (include !== args.include) out = { ...args, include }
  }
  return { args: out, node }
}

function readRelations(
  models: Models,
  model: ModelInfo,
  selection: Args,
  node: { fields: string[] | undefined; relations: RelationRead[] },
  rule: CapRule,
  isSelect: boolean,
): Args {
  let out = selection
  for (const key of Object.keys(selection)) {
    const value = selection[key]
    if (value === false || value === undefined || value === null || key === '_count') continue
    const relation = model.relations.get(key)
    if (relation === undefined) {
      if (isSelect) node.fields!.push(key)
      continue
    }
    const { value: sent, read } = readRelation(models, relation, value, rule)
    node.relations.push(read)
    if (sent !== value) {
      if (out === selection) out = { ...selection }
      out[key] = sent
    }
  }
  return out
}

function readRelation(
  models: Models,
  relation: Relation,
  value: unknown,
  rule: CapRule,
): { value: unknown; read: RelationRead } {
  const args = isObject(value) ? value : undefined
  let sent: unknown = args
  let bound = 1
  let trim: Trim | undefined
  if (relation.list === true) {
    const t = capTake(args?.take, rule, relation.owner, relation)
    bound = t.bound
    trim = t.trim
    if (t.send !== undefined) sent = { ...(args ?? {}), take: t.send }
  } else if (relation.list === undefined) {
    // Not known to be a list yet: sent as it is (a to-one relation rejects `take`), learnt from its result.
    bound = typeof args?.take === 'number' ? Math.abs(args.take) : Infinity
  }
  const { args: childArgs, node } = readSelection(models, models.get(relation.target), sent, rule)
  const read: RelationRead = { relation, node, bound, trim }
  return { value: childArgs === args ? value : childArgs, read }
}

/**
 * The place in a plan a fluent read's result starts (`user.findUnique(…).posts()` is sent as
 * `User.findUnique` with `select: { posts: … }`, and Prisma hands back only the posts): the
 * relation at the end of Prisma's `dataPath` (`['select', 'posts']`), or undefined for the root.
 */
export function followDataPath(plan: ReadPlan, dataPath: unknown): RelationRead | undefined | null {
  if (!Array.isArray(dataPath) || dataPath.length === 0) return undefined
  let node = plan.root
  let read: RelationRead | undefined
  for (let i = 1; i < dataPath.length; i += 2) {
    read = node.relations.find((r) => r.relation.field === dataPath[i])
    if (read === undefined) return null
    node = read.node
  }
  return read
}

/** Estimated heap bytes of one row of `node` with everything it includes. */
export function nodeBytes(node: ReadNode): number {
  let bytes = node.model.rowBytes(node.fields, node.omit)
  for (const read of node.relations) bytes += rowsOf(read) * nodeBytes(read.node)
  return bytes
}

/** Rows a parent is expected to bring: 1 for a to-one relation, else what reads have shown, within the bound. */
function rowsOf(read: RelationRead): number {
  if (read.relation.list === false) return 1
  return Math.min(read.bound, read.relation.fanout)
}
