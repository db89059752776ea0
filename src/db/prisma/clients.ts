import type { DbCounters } from '../counters.js'

// Extended clients, counted across every copy of heapguard in the process (the count lives on
// globalThis): a Next.js app in development makes a new PrismaClient at each reload unless it
// keeps one on globalThis, and each holds its own connection pool and 4–8 MiB of memory.
const KEY = Symbol.for('heapguard.prisma.clients.v1')

interface Registry {
  /** Base clients extended and not yet collected. */
  live: number
  warned: boolean
  readonly seen: WeakSet<object>
  readonly collected: FinalizationRegistry<() => void>
}

type Global = typeof globalThis & { [KEY]?: Registry }

function registry(): Registry {
  const g = globalThis as Global
  return (g[KEY] ??= {
    live: 0,
    warned: false,
    seen: new WeakSet(),
    collected: new FinalizationRegistry((forget) => forget()),
  })
}

/**
 * Counts a client as it is extended (once per base client, however many times it is extended),
 * and warns once per process, naming the count, when there are two or more.
 */
export function countClient(client: object, counters: DbCounters): void {
  const base = (client as { _originalClient?: unknown })._originalClient
  const key = base !== null && typeof base === 'object' ? base : client
  const r = registry()
  if (r.seen.has(key)) return
  r.seen.add(key)
  r.live++
  counters.prismaClients++
  r.collected.register(key, () => {
    r.live--
    counters.prismaClients--
  })
  if (r.live >= 2 && !r.warned) {
    r.warned = true
    process.emitWarning(
      `heapguard/prisma: ${r.live} Prisma clients carry heapguardPrisma in this process. Each holds its own connection pool and 4–8 MiB of memory: create one client and share it (in Next.js development, keep it on globalThis so that a reload does not make another).`,
      { type: 'HeapguardWarning', code: 'HEAPGUARD_PRISMA_CLIENTS' },
    )
  }
}
