// What a Prisma client says about its models at run time: scalar fields and their types,
// relations, and which relations are lists. Read through the client handed to the extension
// (`Prisma.defineExtension((client) => …)`), by duck typing, since none of it is public API:
//
// - `_runtimeDataModel` lists every model's fields, their kind and type. Prisma 5 and 6 clients
//   also say `isList`; Prisma 7's runtime data model does not.
// - `_engineConfig.inlineSchema` is the schema text the generated client carries (Prisma 5 to 7):
//   a list relation is a field whose type ends in `[]`.
//
// Whatever neither says is learnt from results (an array is a list; an object or null is not).

/** One model's fields as the client describes them. */
export interface ModelSchema {
  /** Scalar and enum fields, with their Prisma type (`String`, `DateTime`, …). */
  readonly scalars: ReadonlyMap<string, string>
  /** Relation fields: the related model, and whether the field is a list (undefined: not said). */
  readonly relations: ReadonlyMap<string, { target: string; list: boolean | undefined }>
}

interface RuntimeField {
  name?: unknown
  kind?: unknown
  type?: unknown
  isList?: unknown
}

/** Reads the models of a Prisma client; an empty map when it has no readable data model. */
export function readSchema(client: unknown): Map<string, ModelSchema> {
  const out = new Map<string, ModelSchema>()
  const c = client as { _runtimeDataModel?: { models?: unknown }; _engineConfig?: { inlineSchema?: unknown } }
  const models = c?._runtimeDataModel?.models
  if (models === null || typeof models !== 'object') return out
  const inline = c._engineConfig?.inlineSchema
  const lists = typeof inline === 'string' ? listFieldsOf(inline) : new Map<string, Set<string>>()
  const names = new Set(Object.keys(models))
  for (const [name, model] of Object.entries(models as Record<string, { fields?: unknown }>)) {
    const scalars = new Map<string, string>()
    const relations = new Map<string, { target: string; list: boolean | undefined }>()
    const fields = Array.isArray(model?.fields) ? (model.fields as RuntimeField[]) : []
    const listed = lists.get(name)
    for (const f of fields) {
      if (typeof f?.name !== 'string' || typeof f.type !== 'string') continue
      if (f.kind === 'object' && names.has(f.type)) {
        const list = typeof f.isList === 'boolean' ? f.isList : listed === undefined ? undefined : listed.has(f.name)
        relations.set(f.name, { target: f.type, list })
      } else {
        // Scalars, enums, and MongoDB's composite types (objects stored in the row).
        scalars.set(f.name, f.kind === 'enum' ? 'Enum' : f.type)
      }
    }
    out.set(name, { scalars, relations })
  }
  return out
}

const BLOCK = /^\s*(model|view)\s+(\w+)\s*\{/
const FIELD = /^\s*(\w+)\s+(\w+)(\[\])?/

/**
 * The list fields of each model in a Prisma schema: `posts Post[]`. Only `model` and `view`
 * blocks are read; comments and attributes are ignored. A model missing from the result was not
 * found in the text (its list fields are then not known).
 */
export function listFieldsOf(schema: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  let current: Set<string> | undefined
  for (const raw of schema.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '')
    if (current === undefined) {
      const block = BLOCK.exec(line)
      if (block) out.set(block[2]!, (current = new Set()))
      continue
    }
    if (line.trim().startsWith('}')) {
      current = undefined
      continue
    }
    const field = FIELD.exec(line)
    if (field && field[3] === '[]') current.add(field[1]!)
  }
  return out
}
