import { describe, expectTypeOf, it } from 'vitest'
import {
  createController,
  heapSource,
  type Level,
  type LevelChange,
  type LevelCause,
  type Sample,
  type Source,
  type Trend,
} from '../../src/index.js'

describe('controller types', () => {
  const pressure = createController({ autoStart: false })

  it('types each event payload', () => {
    pressure.on('sample', (s) => expectTypeOf(s).toEqualTypeOf<Sample>())
    pressure.on('level', (c) => expectTypeOf(c).toEqualTypeOf<LevelChange>())
    pressure.once('error', (e) => expectTypeOf(e).toEqualTypeOf<Error>())
    // @ts-expect-error: not an event
    pressure.on('levels', () => {})
    // @ts-expect-error: 'level' carries a LevelChange, not a Sample
    pressure.on('level', (s: Sample) => s)
    expectTypeOf(pressure.on('sample', () => {})).toEqualTypeOf(pressure)
  })

  it('types the members', () => {
    expectTypeOf(pressure.level).toEqualTypeOf<Level>()
    expectTypeOf(pressure.measuredLevel).toEqualTypeOf<Level>()
    expectTypeOf(pressure.ratio).toEqualTypeOf<number>()
    expectTypeOf(pressure.sample()).toEqualTypeOf<Sample>()
    expectTypeOf(pressure.history()).toEqualTypeOf<Sample[]>()
    expectTypeOf(pressure.trend()).toEqualTypeOf<Trend>()
    expectTypeOf(pressure.force).parameter(0).toEqualTypeOf<Level>()
    expectTypeOf(pressure.force).parameter(1).toEqualTypeOf<{ forMs?: number } | undefined>()
    // @ts-expect-error: not a level
    pressure.force('panic')
    expectTypeOf<LevelChange>().toEqualTypeOf<{
      from: Level
      to: Level
      at: number
      ratio: number
      forced: boolean
      reason: string
      cause: LevelCause
    }>()
    expectTypeOf<Extract<LevelCause, { kind: 'ratio' }>>().toEqualTypeOf<{
      kind: 'ratio'
      source: string
      ratio: number
      threshold: number
    }>()
    expectTypeOf<Sample['sources'][string]>().toMatchTypeOf<{ used: number; limit: number; ratio: number }>()
  })

  it('accepts any object with a name and read() as a source', () => {
    const custom = { name: 'pool', read: () => ({ used: 1, limit: 2 }) }
    expectTypeOf(custom).toMatchTypeOf<Source>()
    expectTypeOf(heapSource()).toEqualTypeOf<Source>()
    createController({ sources: [custom, heapSource()], thresholds: { warning: 0.6 } })
    // @ts-expect-error: read() must return { used, limit }
    createController({ sources: [{ name: 'bad', read: () => 0.5 }] })
  })
})
