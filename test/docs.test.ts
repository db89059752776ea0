import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// scripts/check-docs.mjs is what `npm run typecheck` runs over README.md and docs/. Here: the real
// docs pass its structural checks, and each kind of failure is reported with the markdown file
// and line. The full type-check of the real docs is left to `npm run typecheck` (one tsc run).
const root = join(import.meta.dirname, '..')
const scratch = mkdtempSync(join(tmpdir(), 'heapguard-docs-test-'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function check(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, ['scripts/check-docs.mjs', ...args], { cwd: root, encoding: 'utf8' })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

function markdown(name: string, lines: string[]): string {
  const file = join(scratch, name)
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

describe('scripts/check-docs.mjs', () => {
  it('passes on the README and docs/: fences, links, anchors and the bad-input count', () => {
    const { status, output } = check('--no-typecheck')
    expect(output).toMatch(/docs: \d+ ts blocks in \d+ file\(s\) found/)
    expect(status).toBe(0)
  })

  it('reports a type error at its line in the markdown file', () => {
    const file = markdown('typed.md', [
      '# Typed', // 1
      '', // 2
      '```ts', // 3: the block starts here
      'const fine: number = 1', // 4
      "export const broken: number = 'one' + fine", // 5: the error
      '```', // 6
    ])
    const out = join(root, 'node_modules', '.cache', `heapguard-docs-test-${process.pid}`)
    try {
      const { status, output } = check('--out', out, file)
      expect(status).toBe(1)
      expect(output).toContain(`${file}:5:14: error TS2322`)
      expect(output).toContain(`the ts block that starts at ${file}:3`)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 60_000)

  it('refuses blocks without a language and js blocks, naming their lines', () => {
    const file = markdown('fences.md', ['# Fences', '', '```', 'npm test', '```', '', '```js', 'const a = 1', '```'])
    const { status, output } = check('--no-typecheck', file)
    expect(status).toBe(1)
    expect(output).toContain(`${file}:3: a code block without a language`)
    expect(output).toContain(`${file}:7: a \`js\` block: write TypeScript as \`ts\``)
  })

  it('reports links to missing files and anchors to missing headings', () => {
    const file = markdown('links.md', [
      '# Links',
      '',
      '## A heading: with `code`',
      '',
      'Fine: [here](#a-heading-with-code), [the readme](README-missing.md), [there](#nowhere).',
    ])
    const { status, output } = check('--no-typecheck', file)
    expect(status).toBe(1)
    expect(output).toContain(`${file}:5: link to README-missing.md:`)
    expect(output).toContain(`${file}:5: link to #nowhere: no heading`)
    expect(output).not.toContain('#a-heading-with-code')
  })

  it('reports a second separator row in a table (issue 23: two tables rendered a row of dashes)', () => {
    const file = markdown('tables.md', [
      '# Tables', // 1
      '', // 2
      '| a   | b   |', // 3
      '| --- | :-: |', // 4: the separator
      '| --- | --- |', // 5: a second one
      '| 1   | 2   |', // 6
      '', // 7
      '```text', // 8
      '| --- |', // 9: inside code, not a table
      '```', // 10
    ])
    const { status, output } = check('--no-typecheck', file)
    expect(status).toBe(1)
    expect(output).toContain(`${file}:5: a table separator row that is not right under the header`)
    expect(output).not.toContain(`${file}:4:`)
    expect(output).not.toContain(`${file}:9:`)
  })

  it('catches a bad-input count that differs from the one the reliability suite pins', () => {
    const file = markdown('count.md', ['# Count', '', 'A table of 12 bad-input cases.'])
    const { status, output } = check('--no-typecheck', file)
    expect(status).toBe(1)
    expect(output).toMatch(new RegExp(`count\\.md:3: quotes 12 bad-input cases; .*bad-input\\.test\\.ts pins \\d+`))
  })
})
