#!/usr/bin/env node
// Checks the documentation: README.md and docs/*.md (or the markdown files given as arguments).
//
// - Every fenced block names its language, from a known list; `js` is refused (write `ts`).
// - Every ```ts block is a complete module: it is written to a file of its own and the lot is
//   type-checked with `tsc --noEmit` against the source (tsconfig.docs.json maps `heapguard` and
//   `heapguard/*` to src/, as the root tsconfig does). Errors name the markdown file and line.
//   A block whose first line names its file (`// lib/pressure.ts`) is written at that path, so that
//   the other blocks of its page may import it (`import('./lib/pressure.js')`).
// - Relative links point at files that exist, and `#anchors` at headings that exist.
// - A table has one separator row (`| --- | --- |`), right under its header: a second one renders
//   as a row of dashes.
// - The bad-input case count quoted in the docs is the one test/reliability/bad-input.test.ts pins.
//
// Usage: node scripts/check-docs.mjs [--no-typecheck] [--out DIR] [file.md ...]
//   --no-typecheck  structural checks only (fast; what test/docs.test.ts runs on the real docs)
//   --out DIR       where the extracted modules go (default node_modules/.cache/heapguard-docs)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const root = resolve(import.meta.dirname, '..')

/** Fence languages a block may use. `ts` blocks are type-checked; the others are not code to check. */
const TS_LANGUAGES = new Set(['ts', 'typescript'])
const OTHER_LANGUAGES = new Set(['sh', 'bash', 'console', 'json', 'jsonc', 'yaml', 'http', 'text', 'diff'])

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'no-typecheck': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'node_modules', '.cache', 'heapguard-docs') },
  },
})

/** README.md and every markdown file under docs/, unless files are named on the command line. */
function defaultFiles() {
  const files = [join(root, 'README.md')]
  const docs = join(root, 'docs')
  if (existsSync(docs)) {
    for (const name of readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(join(docs, name))
  }
  return files
}

const files = positionals.length > 0 ? positionals.map((file) => resolve(file)) : defaultFiles()
/** How a file is named in messages: relative to the working directory when inside it (editors link that), else absolute. */
function shown(file) {
  const path = relative(process.cwd(), resolve(file))
  return path === '' || path.startsWith('..') || isAbsolute(path) ? resolve(file) : path
}

const problems = []
const problem = (file, line, message) => problems.push(`${shown(file)}:${line}: ${message}`)

// ---- markdown: fences, headings, links ----------------------------------------------------------

/**
 * The fenced blocks and headings of a markdown text. A fence may be indented (inside a list item);
 * its content lines lose that indentation, and `indent` remembers it for error columns.
 */
function parseMarkdown(file, text) {
  const lines = text.split('\n')
  const blocks = []
  const headings = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/.exec(lines[i])
    if (open === null) {
      const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(lines[i])
      if (heading !== null) headings.push(heading[1])
      continue
    }
    const [, indentText, fence, language] = open
    const indent = indentText.length
    const start = i + 1 // 1-based line of the opening fence
    const body = []
    let closed = false
    for (i++; i < lines.length; i++) {
      const close = /^( *)(`{3,}|~{3,})\s*$/.exec(lines[i])
      if (close !== null && close[2][0] === fence[0] && close[2].length >= fence.length) {
        closed = true
        break
      }
      body.push(lines[i].slice(Math.min(indent, lines[i].length - lines[i].trimStart().length)))
    }
    if (!closed) problem(file, start, `the ${fence} block opened here is never closed`)
    blocks.push({ file, line: start, indent, language: language.toLowerCase(), code: body.join('\n') })
  }
  return { blocks, headings }
}

/** GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen; repeats get -1, -2... */
function anchorsOf(headings) {
  const seen = new Map()
  const anchors = new Set()
  for (const heading of headings) {
    const text = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
      .replace(/<[^>]+>/g, '')
      .replace(/[*`]/g, '')
    const base = text
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

const parsed = new Map()
function parsedFile(file) {
  let entry = parsed.get(file)
  if (entry === undefined) {
    const result = parseMarkdown(file, readFileSync(file, 'utf8'))
    entry = { ...result, anchors: anchorsOf(result.headings) }
    parsed.set(file, entry)
  }
  return entry
}

/** Relative links `[text](target)` outside code: the file must exist, and a `#anchor` must be a heading there. */
function checkLinks(file, text) {
  const lines = text.split('\n')
  let fence = null
  lines.forEach((line, i) => {
    const marker = /^ *(`{3,}|~{3,})/.exec(line)
    if (marker !== null) {
      if (fence === null) fence = marker[1]
      else if (marker[1][0] === fence[0] && marker[1].length >= fence.length) fence = null
      return
    }
    if (fence !== null) return
    const prose = line.replace(/`[^`]*`/g, '') // inline code is not a link
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const [path, anchor] = target.split('#')
      const targetFile = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
      if (!existsSync(targetFile)) {
        problem(file, i + 1, `link to ${target}: ${shown(targetFile)} does not exist`)
        continue
      }
      if (anchor === undefined || anchor === '') continue
      if (statSync(targetFile).isDirectory() || !targetFile.endsWith('.md')) {
        problem(file, i + 1, `link to ${target}: an anchor needs a markdown file`)
        continue
      }
      if (!parsedFile(targetFile).anchors.has(anchor)) {
        problem(file, i + 1, `link to ${target}: no heading in ${shown(targetFile)} has the anchor #${anchor}`)
      }
    }
  })
}

/** A table row of dashes only (`| --- | :-: |`): the separator under a header; anywhere else, a stray one. */
const SEPARATOR_ROW = /^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$/

/** Separator rows that do not sit right under a table's header (outside code blocks). */
function checkTables(file, text) {
  let fence = null
  let rowsAbove = 0 // table rows right above this line
  text.split('\n').forEach((line, i) => {
    const marker = /^ *(`{3,}|~{3,})/.exec(line)
    if (marker !== null) {
      if (fence === null) fence = marker[1]
      else if (marker[1][0] === fence[0] && marker[1].length >= fence.length) fence = null
      rowsAbove = 0
      return
    }
    if (fence !== null) return
    if (!line.trimStart().startsWith('|')) {
      rowsAbove = 0
      return
    }
    if (SEPARATOR_ROW.test(line) && rowsAbove !== 1)
      problem(file, i + 1, 'a table separator row that is not right under the header: it renders as a row of dashes')
    rowsAbove++
  })
}

// ---- the bad-input count --------------------------------------------------------------------------

/** The count the reliability suite pins; wherever the docs quote "N bad-input cases" it must be N. */
function checkBadInputCount(texts) {
  const test = join(root, 'test', 'reliability', 'bad-input.test.ts')
  if (!existsSync(test)) return
  const pinned = /const EXPECTED_CASES = (\d+)/.exec(readFileSync(test, 'utf8'))?.[1]
  if (pinned === undefined) return
  for (const [file, text] of texts) {
    text.split('\n').forEach((line, i) => {
      for (const match of line.matchAll(/(\d[\d,]*) bad-input cases/g)) {
        const quoted = match[1].replace(/,/g, '')
        if (quoted !== pinned) {
          problem(file, i + 1, `quotes ${match[1]} bad-input cases; ${shown(test)} pins ${pinned}`)
        }
      }
    })
  }
}

// ---- type-checking the ts blocks ------------------------------------------------------------------

function typecheck(blocks) {
  const out = resolve(options.out)
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  // Every block is an ES module of its own (top-level await and imports, as users write them).
  writeFileSync(join(out, 'package.json'), JSON.stringify({ private: true, type: 'module' }) + '\n')
  const byModule = new Map()
  for (const block of blocks) {
    const page = relative(root, block.file).replace(/[^A-Za-z0-9.-]+/g, '_')
    // A block that starts with its file's path (`// lib/pressure.ts`) is written at that path, in a
    // folder per page, so that the page's other blocks can import it (`./lib/pressure.js`).
    const path = /^\/\/ ((?:[\w.[\]-]+\/)*[\w.[\]-]+\.tsx?)\b/.exec(block.code)?.[1]
    let name = join(out, `${page}-L${block.line}.ts`)
    if (path !== undefined && !existsSync(join(out, page, path))) name = join(out, page, path)
    mkdirSync(dirname(name), { recursive: true })
    writeFileSync(name, block.code + '\n')
    byModule.set(resolve(name), block)
  }
  const tsconfig = {
    extends: join(root, 'tsconfig.docs.json'),
    compilerOptions: { typeRoots: [join(root, 'node_modules', '@types')] },
    // The source's ambient declarations (the dashboard script's virtual module) come with it.
    files: [join(root, 'src/observe/dashboard/dashboard-script.d.ts'), ...byModule.keys()],
    include: [],
  }
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n')

  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', join(out, 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  })
  if (run.error) throw run.error
  const output = `${run.stdout}${run.stderr}`.trimEnd()
  if (run.status === 0) return 0

  // `file(line,col): error TSxxxx: message`, continuation lines indented. Map generated modules back.
  let errors = 0
  const messages = []
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/.exec(line)
    if (m === null) {
      if (messages.length > 0 && line.trim() !== '') messages[messages.length - 1] += `\n${line}`
      else if (line.trim() !== '') messages.push(line)
      continue
    }
    errors++
    const [, path, row, col, kind, code, text] = m
    const block = byModule.get(resolve(root, path))
    if (block === undefined) {
      messages.push(`${shown(path)}:${row}:${col}: ${kind} ${code}: ${text}`)
      continue
    }
    const mdLine = block.line + Number(row)
    const mdCol = block.indent + Number(col)
    messages.push(
      `${shown(block.file)}:${mdLine}:${mdCol}: ${kind} ${code}: ${text}\n` +
        `    (in the ts block that starts at ${shown(block.file)}:${block.line}; extracted to ${shown(path)})`,
    )
  }
  console.error(messages.join('\n'))
  return Math.max(errors, 1)
}

// ---- main -----------------------------------------------------------------------------------------

const texts = new Map()
const tsBlocks = []
for (const file of files) {
  if (!existsSync(file)) {
    problems.push(`${shown(file)}: no such file`)
    continue
  }
  const text = readFileSync(file, 'utf8')
  texts.set(file, text)
  for (const block of parsedFile(file).blocks) {
    if (TS_LANGUAGES.has(block.language)) tsBlocks.push(block)
    else if (block.language === '') {
      problem(file, block.line, 'a code block without a language: use ts (type-checked), or sh, json, text...')
    } else if (!OTHER_LANGUAGES.has(block.language)) {
      problem(
        file,
        block.line,
        `a \`${block.language}\` block: write TypeScript as \`ts\` (type-checked); other code as one of ${[...OTHER_LANGUAGES].join(', ')}`,
      )
    }
  }
  checkLinks(file, text)
  checkTables(file, text)
}
checkBadInputCount(texts)

if (problems.length > 0) console.error(problems.join('\n'))
const typeErrors = options['no-typecheck'] ? 0 : typecheck(tsBlocks)
if (problems.length > 0 || typeErrors > 0) {
  const what = [
    problems.length > 0 ? `${problems.length} problem(s)` : '',
    typeErrors > 0 ? `${typeErrors} type error(s)` : '',
  ]
    .filter(Boolean)
    .join(' and ')
  console.error(`docs: ${what} in ${files.length} file(s)`)
  process.exit(1)
}
const checked = options['no-typecheck'] ? 'found (not type-checked: --no-typecheck)' : 'type-check'
console.log(`docs: ${tsBlocks.length} ts blocks in ${files.length} file(s) ${checked}; links and fences are fine`)
