import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as root from '../../src/index.js'
import * as query from '../../src/query.js'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

/**
 * The modules an entry loads at run time: relative imports followed through the tree, bare
 * specifiers collected. `import type` / `export type` statements are erased by the compiler
 * and do not count.
 */
function runtimeGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [resolve(SRC, entry)]
  const statement = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm
  while (pending.length > 0) {
    const file = pending.pop()!
    if (files.has(file)) continue
    files.add(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(statement)) {
      if (match[2]) continue
      const spec = (match[3] ?? match[4])!
      if (spec.startsWith('.')) pending.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
      else packages.add(spec)
    }
  }
  return { files, packages }
}

describe('entries', () => {
  it('the root entry never loads @tanstack/query-core (an optional peer)', () => {
    const { files, packages } = runtimeGraph('index.ts')
    expect(files.has(resolve(SRC, 'caches/registry.ts'))).toBe(true)
    expect(files.has(resolve(SRC, 'caches/query-cache.ts'))).toBe(false)
    expect([...packages].filter((p) => p.startsWith('@tanstack/'))).toEqual([])
    expect(packages.has('lru-cache')).toBe(true)
  })

  it('heapguard/query loads only types from @tanstack/query-core', () => {
    const { files, packages } = runtimeGraph('query.ts')
    expect(files.has(resolve(SRC, 'caches/query-cache.ts'))).toBe(true)
    expect([...packages].filter((p) => p.startsWith('@tanstack/'))).toEqual([])
  })

  it('export the caches API', () => {
    // Their constructors take internal objects: the classes are exported as types only, and
    // instances come from createController() (`pressure.caches`) and `pressure.caches.lru()`.
    expect('CacheRegistry' in root).toBe(false)
    expect('ManagedLru' in root).toBe(false)
    const pressure = root.createController({
      autoStart: false,
      sources: [{ name: 'f', read: () => ({ used: 0, limit: 1 }) }],
    })
    const registry: root.CacheRegistry = pressure.caches
    const cache: root.ManagedLru<string, number> = registry.lru<string, number>('typed', { max: 1 })
    expect(cache.set('a', 1).get('a')).toBe(1)
    pressure.close()
    expect(typeof root.estimateSize).toBe('function')
    expect(root.CACHE_PRIORITIES).toEqual(['essential', 'normal', 'optional'])
    expect(root.DEFAULT_CACHE_POLICY.warning.optional).toBe(0.5)
    expect(Object.keys(query)).toEqual(['manageQueryCache'])
  })
})
