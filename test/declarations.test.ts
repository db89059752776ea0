// The published types are the API: nothing a user must not call may appear in dist/*.d.ts.
// `npm test` builds first; these read the declarations it wrote.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuild } from './support/fixture-process.js'

const DIST = join(import.meta.dirname, '..', 'dist')

let declarations: { file: string; text: string }[] = []

beforeAll(() => {
  requireBuild()
  declarations = readdirSync(DIST)
    .filter((f) => f.endsWith('.d.ts') || f.endsWith('.d.cts'))
    .map((file) => ({ file, text: readFileSync(join(DIST, file), 'utf8') }))
})

/** Every line of every declaration file that matches. */
function linesMatching(pattern: RegExp): string[] {
  const found: string[] = []
  for (const { file, text } of declarations) {
    text.split('\n').forEach((line, i) => {
      if (pattern.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`)
    })
  }
  return found
}

describe('published declarations', () => {
  it('were written', () => {
    expect(declarations.map((d) => d.file)).toEqual(expect.arrayContaining(['index.d.ts', 'index.d.cts']))
  })

  it('show no permit internals: a caller cannot grant itself a slot', () => {
    expect(
      linesMatching(/\b(granted|rejected)\s*\(|\bowner\b|\blane\b|\bPermitIssuer\b|\bWaiter\b|\bpermitControl\b/),
    ).toEqual([])
  })

  it('show no subsystem wiring: the controller core, limiter, trimmer, guards, streams, stores, policies or factories', () => {
    expect(
      linesMatching(
        /\bControllerCore\b|\bConcurrencyLimiter\b|\bSliceTrimmer\b|\bHttpGuard\b|\bWebGuard\b|\bAdmittedRequest\b|\bDashboardStream\b|\bRequestPolicy\b|\bLruStore\b|\bCachePool\b|\bPoolMember\b|\bflagControl\b|\bcontrollerCore\b|\bcreate(Shedder|CacheRegistry|ManagedLru|FeatureFlags|TaskScheduler|Task|Limits|ScaledValue)\b/,
      ),
    ).toEqual([])
  })

  it('have no protected or @internal members and no symbol-keyed methods', () => {
    expect(linesMatching(/\bprotected\b|@internal|^\s*\[[A-Za-z_$][\w$]*\]\s*[(<]/)).toEqual([])
  })

  it('declare no class but the two controllers and the errors: every other public type is an interface', () => {
    // What the controller builds (caches, shedder, ledger, flags, tasks, limits) is published as an
    // interface; its class, and that class's own methods (the wiring between subsystems), stay out.
    const classes = new Set<string>()
    for (const { text } of declarations) {
      for (const match of text.matchAll(/^declare class (\w+)/gm)) classes.add(match[1]!)
    }
    expect(classes.size).toBeGreaterThan(5)
    expect([...classes].filter((name) => !/^(PressureController|Controller|\w+Error)$/.test(name))).toEqual([])
  })

  it('declare heapguard/prisma and heapguard/pg (ESM and CJS), with none of their internals', () => {
    const files = declarations.map((d) => d.file)
    expect(files).toEqual(expect.arrayContaining(['prisma.d.ts', 'prisma.d.cts', 'pg.d.ts', 'pg.d.cts']))
    const prisma = declarations.find((d) => d.file === 'prisma.d.ts')!.text
    expect(prisma).toMatch(
      /declare function heapguardPrisma\(pressure: DbTarget, options\?: HeapguardPrismaOptions\): HeapguardPrismaExtension/,
    )
    // Declared without Prisma's runtime types, so that one declaration fits Prisma 5, 6 and 7.
    expect(prisma).not.toMatch(/@prisma\/client/)
    expect(
      linesMatching(
        /\b(ModelInfo|ResultWalk|ReadPlan|ReadNode|PoolManager|dbCountersFor|dbCountersOf|readSchema|countClient|isUncapped)\b/,
      ),
    ).toEqual([])
  })
})
