// Regrowth after pressure, in the squeeze: bursts of the squeeze's load that refill the cache
// the moment the level is back at normal, with regrowMs 0, the default (30 s, linear), a slow
// start and a capacity-doubling curve; see BENCHMARKS.md. About 8 minutes.
//   node bench/run.mjs regrowth                     all four variants
//   node bench/regrowth.bench.mjs regrow-0 ...      some variants by name
// Build the library first: npx tsup
import { REGROWTH_VARIANTS } from './squeeze/regrowth-variants.mjs'
import { runRegrowth } from './squeeze/regrowth.mjs'

const names = process.argv.slice(2)
for (const name of names) {
  if (!(name in REGROWTH_VARIANTS)) {
    console.error(`unknown variant ${name}; expected one of ${Object.keys(REGROWTH_VARIANTS).join(', ')}`)
    process.exit(2)
  }
}
await runRegrowth(names.length > 0 ? names : undefined)
process.exit(0)
