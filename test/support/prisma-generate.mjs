// Generates the Prisma clients of examples/prisma/schema.prisma (Prisma 7's TypeScript client and
// the JavaScript one) for the tests, the type tests and the benchmarks, when they are missing or
// were generated from another schema or another Prisma version. Run by `npm test` and
// `npm run typecheck` (pre-scripts) and by the vitest global setup; by hand:
//   node test/support/prisma-generate.mjs
//
// A workaround for machines without access to binaries.prisma.sh (this repository's CI): before
// it generates anything, `prisma generate` looks for the schema engine and downloads it when it is
// missing, although generating never runs it. PRISMA_SCHEMA_ENGINE_BINARY pointing at any existing
// file (here: node itself) satisfies the check. With a normal network none of this is needed.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const schema = join(root, 'examples/prisma/schema.prisma')
const out = join(root, 'examples/prisma/generated')
const stampFile = join(out, '.stamp')

/** Generates the clients unless they are up to date; returns true when it generated. */
export function generatePrismaClients() {
  const version = createRequire(join(root, 'package.json'))('prisma/package.json').version
  const stamp = createHash('sha256').update(readFileSync(schema)).update(version).digest('hex')
  const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : ''
  if (current === stamp && existsSync(join(out, 'ts/client.ts')) && existsSync(join(out, 'js/index.js'))) return false
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/prisma/build/index.js'), 'generate', '--schema', schema], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    })
  } catch (error) {
    throw new Error(`prisma generate failed: ${error.stderr ?? error.message}`, { cause: error })
  }
  writeFileSync(stampFile, stamp)
  return true
}

if (process.argv[1] === import.meta.filename) {
  const generated = generatePrismaClients()
  console.log(
    generated ? 'prisma: generated examples/prisma/generated' : 'prisma: examples/prisma/generated is up to date',
  )
}
