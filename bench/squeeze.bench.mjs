// The squeeze: three fastify servers with a 128 MiB heap and a cache sized by guess (100,000 ×
// 10 KB), under the same load; see BENCHMARKS.md. About 3.5 minutes.
//   node bench/run.mjs squeeze                      all three variants
//   node bench/squeeze.bench.mjs heapguard          one or more variants by name
// Build the library first: npx tsup
import { runSqueeze } from './squeeze/squeeze.mjs'
import { VARIANTS } from './squeeze/variants.mjs'

const names = process.argv.slice(2)
for (const name of names) {
  if (!(name in VARIANTS)) {
    console.error(`unknown variant ${name}; expected one of ${Object.keys(VARIANTS).join(', ')}`)
    process.exit(2)
  }
}
await runSqueeze(names.length > 0 ? names : undefined)
process.exit(0)
