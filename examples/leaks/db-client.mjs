// A database client of the kind every service has (think PrismaClient or pg.Pool): it holds its
// configuration, a pool of connections and its listeners, and emits a 'query' event per query.
// Creating one per request, instead of one per process, is the first leak of this example.
import { EventEmitter } from 'node:events'

let created = 0

export class DbClient extends EventEmitter {
  constructor({ url, poolSize = 4 }) {
    super()
    created++
    this.id = created
    this.url = url
    this.options = { url, poolSize, statementTimeoutMs: 5_000, applicationName: `orders-${created}` }
    // Each connection keeps its own buffers and prepared statements.
    this.pool = Array.from({ length: poolSize }, (_, slot) => ({
      slot,
      busy: false,
      lastUsedAt: 0,
      statements: new Map(),
      readBuffer: new Array(16).fill(0),
    }))
  }

  /** Runs a query (here: answers from memory) and emits the event a logger would listen to. */
  async query(sql, params) {
    const connection = this.pool.find((c) => !c.busy) ?? this.pool[0]
    connection.busy = true
    const started = performance.now()
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: params[0] * 10 + i, total: (i + 1) * 9.5 }))
    connection.busy = false
    connection.lastUsedAt = Date.now()
    this.emit('query', {
      query: sql,
      params: JSON.stringify(params),
      result: JSON.stringify(rows),
      duration: performance.now() - started,
      target: this.options.applicationName,
    })
    return rows
  }

  static get created() {
    return created
  }
}
