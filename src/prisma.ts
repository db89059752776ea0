// heapguard/prisma: one cap for every Prisma read, and reads that reserve before they run.
// @prisma/client (5.x–7.x) is an optional peer dependency. See docs/databases.md.
export { heapguardPrisma, type HeapguardPrismaExtension } from './db/prisma/extension.js'
export { uncapped } from './db/prisma/uncapped.js'
export { prismaStats, type PrismaStats, type PrismaModelStats } from './db/prisma/stats.js'
export type { HeapguardPrismaOptions, PrismaRead } from './db/prisma/options.js'
export type { DbTarget } from './db/target.js'
