// The servers of the regrowth benchmark: the squeeze's heapguard server with regrowth off, with
// the shipped curve (linear) and with two curves the library does not ship, a slow start (the
// growth doubles from 1 entry) and doubling the capacity itself (the library bundled from src/
// with a file of bench/squeeze/curves/ in place of src/caches/regrowth-curve.ts; see build-curve.mjs).
import { heapguardSetup } from './variants.mjs'

/** Where build-curve.mjs writes the bundle with `curve` (relative to this file). */
export const curveIndex = (curve) => `../../node_modules/.cache/heapguard-bench/index-${curve}.mjs`

export const REGROWTH_VARIANTS = {
  'regrow-0': {
    title: 'regrowMs: 0 (max at once)',
    setup: (app) => heapguardSetup(app, { options: { regrowMs: 0 } }),
  },
  'regrow-default': {
    title: 'regrowMs: 30,000, linear (the default)',
    setup: (app) => heapguardSetup(app),
  },
  'regrow-slow-start': {
    title: 'regrowMs: 30,000, slow start',
    curve: 'slow-start',
    setup: (app) => heapguardSetup(app, { index: curveIndex('slow-start') }),
  },
  'regrow-doubling-capacity': {
    title: 'regrowMs: 30,000, capacity doubling',
    curve: 'doubling-capacity',
    setup: (app) => heapguardSetup(app, { index: curveIndex('doubling-capacity') }),
  },
}
