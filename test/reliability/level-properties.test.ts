import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createController, LEVELS, type Level, type LevelChange, type Source } from '../../src/index.js'

const rank = (level: Level) => LEVELS.indexOf(level)
const thresholds = { warning: 0.7, critical: 0.85, emergency: 0.95 }
const hysteresis = 0.05
const recoveryMs = 1000
const exitLine = (level: Level) => (level === 'normal' ? -Infinity : thresholds[level] - hysteresis)
const reached = (ratio: number): Level =>
  ratio >= thresholds.emergency
    ? 'emergency'
    : ratio >= thresholds.critical
      ? 'critical'
      : ratio >= thresholds.warning
        ? 'warning'
        : 'normal'

interface Step {
  ratio: number
  dt: number
}

/** Feeds a scripted ratio series through the public API; returns the samples and transitions. */
function run(steps: Step[]) {
  let t = 0
  let ratio = 0
  const source: Source = { name: 'fake', read: () => ({ used: ratio * 1000, limit: 1000 }) }
  const pressure = createController({
    sources: [source],
    autoStart: false,
    now: () => t,
    thresholds,
    hysteresis,
    recoveryMs,
  })
  const changes: LevelChange[] = []
  pressure.on('level', (c) => changes.push(c))
  const samples: { at: number; ratio: number; level: Level }[] = []
  for (const step of steps) {
    t += step.dt
    ratio = step.ratio
    const s = pressure.sample()
    samples.push({ at: s.at, ratio: s.ratio, level: s.level })
  }
  pressure.close()
  return { samples, changes }
}

// Ratios cluster around the thresholds so that bands and edges are exercised often.
const ratioArb = fc.oneof(
  fc.double({ min: 0, max: 1.1, noNaN: true }),
  fc
    .constantFrom(...Object.values(thresholds))
    .chain((th) => fc.double({ min: th - 0.08, max: th + 0.03, noNaN: true })),
)
const stepsArb = fc.array(fc.record({ ratio: ratioArb, dt: fc.integer({ min: 1, max: 700 }) }), {
  minLength: 1,
  maxLength: 300,
})

describe('level transitions obey the rules for any ratio series', () => {
  it('escalates only to the level the ratio reached, and de-escalates one step after a full dwell below the exit line', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const { samples, changes } = run(steps)
        let lastTransitionAt = -Infinity
        let ci = 0
        for (let i = 0; i < samples.length; i++) {
          const s = samples[i]!
          const prev = i === 0 ? 'normal' : samples[i - 1]!.level
          if (s.level === prev) continue
          const change = changes[ci++]!
          expect(change).toMatchObject({ from: prev, to: s.level, at: s.at, forced: false })
          if (rank(s.level) > rank(prev)) {
            // Up: straight to the level the ratio reached (skipping is allowed), never from inside a band.
            expect(s.level).toBe(reached(s.ratio))
          } else {
            // Down: exactly one step, from below the exit line, after recoveryMs of samples all below it,
            // counted from no earlier than the previous transition.
            expect(rank(prev) - rank(s.level)).toBe(1)
            expect(s.ratio).toBeLessThan(exitLine(prev))
            let j = i
            while (j - 1 >= 0 && samples[j - 1]!.ratio < exitLine(prev) && samples[j - 1]!.at >= lastTransitionAt) j--
            expect(s.at - samples[j]!.at).toBeGreaterThanOrEqual(recoveryMs)
          }
          lastTransitionAt = s.at
        }
        expect(ci).toBe(changes.length)
      }),
      { numRuns: 300 },
    )
  })

  it('always returns to normal once the ratio stays low, in one step per recoveryMs', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const calm = Array.from({ length: 40 }, () => ({ ratio: 0.1, dt: recoveryMs / 4 }))
        const { samples } = run([...steps, ...calm])
        const lastHigh = samples.length - calm.length - 1
        const startLevel = samples[lastHigh]!.level
        expect(samples.at(-1)!.level).toBe('normal')
        // Staged: from level L, every step after the first needs a full recoveryMs of its own (the
        // first may be due at once if the dwell began before the calm).
        const normalAt = samples.findIndex((s, i) => i > lastHigh && s.level === 'normal')
        if (rank(startLevel) > 1) {
          expect(samples[normalAt]!.at - samples[lastHigh]!.at).toBeGreaterThanOrEqual(
            (rank(startLevel) - 1) * recoveryMs,
          )
        }
      }),
      { numRuns: 200 },
    )
  })

  it('a ratio oscillating ±0.02 around any threshold makes at most one transition', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(thresholds)),
        fc.array(fc.boolean(), { minLength: 2, maxLength: 200 }),
        (th, ups) => {
          // Start settled at the level below, so the only possible change is the crossing itself.
          const settle = reached(th - 0.021)
          const lead = settle === 'normal' ? [] : [{ ratio: th - 0.021, dt: 1 }]
          const { changes } = run([...lead, ...ups.map((up) => ({ ratio: up ? th + 0.02 : th - 0.02, dt: 50 }))])
          expect(changes.length - lead.length).toBeLessThanOrEqual(1)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('forcing and releasing interleaved with samples', () => {
  type Action = { kind: 'sample'; ratio: number; dt: number } | { kind: 'force'; level: Level } | { kind: 'release' }
  const actionArb: fc.Arbitrary<Action> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('sample' as const),
        ratio: ratioArb,
        dt: fc.integer({ min: 1, max: 700 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('force' as const), level: fc.constantFrom(...LEVELS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
  )

  it('the effective level is the forced one, else the measured one; every change is emitted once, in a chain, flagged forced when a force or release caused it', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 200 }), (actions) => {
        let t = 0
        let ratio = 0
        const source: Source = { name: 'fake', read: () => ({ used: ratio * 1000, limit: 1000 }) }
        const pressure = createController({
          sources: [source],
          autoStart: false,
          now: () => t,
          thresholds,
          hysteresis,
          recoveryMs,
        })
        const changes: LevelChange[] = []
        pressure.on('level', (c) => changes.push(c))
        // The measured level comes from the same controller fed the same samples without any force.
        const twin = createController({
          sources: [source],
          autoStart: false,
          now: () => t,
          thresholds,
          hysteresis,
          recoveryMs,
        })
        let forced: Level | null = null
        let previous: Level = 'normal'
        for (const action of actions) {
          const seen = changes.length
          if (action.kind === 'sample') {
            t += action.dt
            ratio = action.ratio
            pressure.sample()
            twin.sample()
          } else if (action.kind === 'force') {
            pressure.force(action.level)
            forced = action.level
          } else {
            pressure.release()
            forced = null
          }
          expect(pressure.measuredLevel).toBe(twin.level)
          expect(pressure.forced).toBe(forced)
          expect(pressure.level).toBe(forced ?? twin.level)
          const emitted = changes.slice(seen)
          if (pressure.level === previous) {
            expect(emitted).toEqual([])
          } else {
            expect(emitted).toHaveLength(1)
            expect(emitted[0]).toMatchObject({
              from: previous,
              to: pressure.level,
              at: t,
              forced: action.kind !== 'sample',
            })
          }
          previous = pressure.level
        }
        expect(pressure.transitions()).toEqual(changes.slice(-100))
        pressure.close()
        twin.close()
      }),
      { numRuns: 300 },
    )
  })
})
