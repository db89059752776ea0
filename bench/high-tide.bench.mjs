// The high tide: cache traffic plus a tide of large exports under a 128 MiB heap, heapguard with
// and without reservations in one run; see BENCHMARKS.md. About 7 minutes.
//   node bench/run.mjs high-tide                     every default run
//   node bench/high-tide.bench.mjs tide:growth:20    runs by name: tide:<none|growth|floor|hold>:<MiB>
// Build the library first: npx tsup
import { DEFAULT_RUNS, runTide } from './squeeze/tide.mjs'
import { TIDE_VARIANTS } from './squeeze/variants.mjs'

const runs = process.argv.slice(2)
for (const run of runs) {
  const [kind, rule, mib] = run.split(':')
  if (kind !== 'tide' || !(`tide:${rule}` in TIDE_VARIANTS) || !(Number(mib) > 0)) {
    console.error(`unknown run ${run}; expected tide:<none|growth|floor|hold>:<MiB>, e.g. ${DEFAULT_RUNS[1]}`)
    process.exit(2)
  }
}
await runTide(runs.length > 0 ? runs : undefined)
process.exit(0)
