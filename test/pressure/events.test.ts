import { describe, expect, it } from 'vitest'
import { createController, SourceError, type Controller, type LevelChange } from '../../src/index.js'
import { drive } from '../support/drive.js'
import { scriptedSource } from '../support/sources.js'

describe('listener bookkeeping: on / once / off', () => {
  it('once() fires once; off() before it fires removes it', () => {
    const { pressure, feed } = drive()
    const calls: number[] = []
    const fn = () => calls.push(1)
    pressure.once('sample', fn)
    feed(0.1)
    feed(0.1)
    expect(calls).toHaveLength(1)
    const never = () => calls.push(2)
    pressure.once('sample', never)
    pressure.off('sample', never)
    feed(0.1)
    expect(calls).toEqual([1])
  })

  it('the same function added twice runs twice; each off() removes one registration', () => {
    const { pressure, feed } = drive()
    let n = 0
    const fn = () => n++
    pressure.on('sample', fn).on('sample', fn)
    feed(0.1)
    expect(n).toBe(2)
    pressure.off('sample', fn)
    feed(0.1)
    expect(n).toBe(3)
    pressure.off('sample', fn)
    pressure.off('sample', fn) // nothing left: a no-op
    feed(0.1)
    expect(n).toBe(3)
  })

  it('off() removes the latest registration, so a function added with on() and once() keeps its on()', () => {
    const { pressure, feed } = drive()
    let n = 0
    const fn = () => n++
    pressure.on('sample', fn)
    pressure.once('sample', fn)
    pressure.off('sample', fn)
    feed(0.1)
    feed(0.1)
    expect(n).toBe(2)
  })

  it('a once() that has fired can be re-added and removed again', () => {
    const { pressure, feed } = drive()
    let n = 0
    const fn = () => n++
    pressure.once('sample', fn)
    feed(0.1)
    pressure.once('sample', fn)
    pressure.off('sample', fn)
    feed(0.1)
    expect(n).toBe(1)
  })

  it('the same function on two events is tracked per event', () => {
    const { pressure, feed } = drive()
    const seen: string[] = []
    const fn = (x: unknown) => seen.push(typeof x === 'object' && x !== null && 'to' in x ? 'level' : 'sample')
    pressure.on('sample', fn)
    pressure.on('level', fn)
    pressure.off('sample', fn)
    feed(0.9)
    expect(seen).toEqual(['level'])
  })

  it('off(event) removes every listener of that event only', () => {
    const { pressure, feed, changes } = drive()
    let samples = 0
    pressure.on('sample', () => samples++)
    pressure.once('sample', () => samples++)
    pressure.off('sample')
    feed(0.9)
    expect(samples).toBe(0)
    expect(changes).toHaveLength(1) // the helper's 'level' listener survived
    // a listener added afterwards works, and can be removed by itself
    const fn = () => samples++
    pressure.on('sample', fn)
    feed(0.9)
    pressure.off('sample', fn)
    feed(0.9)
    expect(samples).toBe(1)
  })

  it('a once() listener that throws is reported and still removed', () => {
    const { pressure, feed, errors } = drive()
    let n = 0
    pressure.once('sample', () => {
      n++
      throw new Error('once')
    })
    feed(0.1)
    feed(0.1)
    expect(n).toBe(1)
    expect(errors.map((e) => e.message)).toEqual(['once'])
  })
})

describe('events are synchronous and ordered', () => {
  it('"level" is delivered before "sample", both inside sample()', () => {
    const { pressure, feed } = drive()
    const order: string[] = []
    pressure.on('level', (c) => order.push(`level ${c.to}`))
    pressure.on('sample', (s) => order.push(`sample ${s.level}`))
    feed(0.9)
    expect(order).toEqual(['level critical', 'sample critical'])
  })

  it('a "level" listener that calls force() does not make later listeners see the changes out of order', () => {
    const { pressure, feed } = drive()
    let insideForce: string | undefined
    pressure.on('level', (c) => {
      if (c.to === 'warning') {
        pressure.force('emergency')
        insideForce = pressure.level // the state changes at once
      }
    })
    const later: LevelChange[] = []
    pressure.on('level', (c) => later.push(c))
    feed(0.75, 1)
    expect(insideForce).toBe('emergency')
    expect(later.map((c) => [c.from, c.to, c.forced])).toEqual([
      ['normal', 'warning', false],
      ['warning', 'emergency', true],
    ])
    expect(pressure.level).toBe('emergency')
    // every delivered change starts where the previous one ended
    expect(pressure.transitions().map((c) => [c.from, c.to])).toEqual([
      ['normal', 'warning'],
      ['warning', 'emergency'],
    ])
  })

  it('a "sample" listener that calls force(): the level event follows once the sample reached every listener', () => {
    const { pressure, feed } = drive()
    const order: string[] = []
    pressure.on('sample', (s) => {
      order.push(`A sample ${s.level}`)
      if (s.ratio > 0.5) pressure.force('critical')
    })
    pressure.on('sample', (s) => order.push(`B sample ${s.level}`))
    pressure.on('level', (c) => order.push(`level ${c.from}->${c.to}`))
    const s = feed(0.6)
    expect(s.level).toBe('normal')
    expect(pressure.level).toBe('critical')
    expect(order).toEqual(['A sample normal', 'B sample normal', 'level normal->critical'])
  })

  it('sample() from a listener of that sample throws a clear error (reported) instead of recursing', () => {
    const { pressure, feed, errors, source } = drive()
    let inner: unknown
    pressure.on('sample', () => {
      try {
        pressure.sample()
      } catch (error) {
        inner = error
        throw error
      }
    })
    const outer = feed(0.2)
    expect(outer.ratio).toBe(0.2)
    expect(source.reads).toBe(1)
    expect((inner as Error).message).toBe(
      'heapguard: sample() called while a sample is being taken (from a source or a listener of that sample); read pressure.lastSample instead',
    )
    expect(errors).toEqual([inner])
    expect(pressure.history()).toHaveLength(1)
    // not stuck: the next sample works
    expect(() => feed(0.3)).not.toThrow()
  })

  it('sample() from inside a source read throws the same error, reported as that source’s fault', () => {
    const holder: { pressure?: Controller } = {}
    const reentrant = {
      name: 'reentrant',
      read: () => {
        holder.pressure!.sample()
        return { used: 1, limit: 2 }
      },
    }
    const pressure = createController({
      sources: [reentrant, scriptedSource('ok', 0.3)],
      autoStart: false,
      now: () => 0,
    })
    holder.pressure = pressure
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    const s = pressure.sample()
    expect(Object.keys(s.sources)).toEqual(['ok'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(SourceError)
    expect(errors[0]!.message).toContain(
      'heapguard: source "reentrant" threw: heapguard: sample() called while a sample is being taken',
    )
  })

  it('sample() from a "level" listener of a force() is allowed; its events follow the current one', () => {
    const { pressure, source } = drive()
    source.ratio = 0.9 // not sampled yet: measured level still normal
    const order: string[] = []
    pressure.on('level', (c) => {
      order.push(`level ${c.from}->${c.to}`)
      if (c.to === 'warning') pressure.sample()
    })
    pressure.on('sample', (s) => order.push(`sample ${s.level}`))
    pressure.force('warning')
    expect(pressure.measuredLevel).toBe('critical')
    pressure.release()
    expect(order).toEqual(['level normal->warning', 'sample warning', 'level warning->critical'])
    expect(pressure.history()).toHaveLength(1)
  })

  it('listeners that keep changing the level are stopped after 1000 events, with an error, instead of looping forever', () => {
    const { pressure, errors } = drive()
    let deliveries = 0
    pressure.on('level', (c) => {
      deliveries++
      if (c.to === 'emergency') pressure.force('normal')
      else pressure.force('emergency')
    })
    expect(() => pressure.force('emergency')).not.toThrow()
    expect(deliveries).toBe(1000)
    expect(errors.map((e) => e.message)).toEqual([
      'heapguard: listeners caused more than 1000 events in one call (a listener that keeps changing the level?); the rest were dropped',
    ])
  })

  it('close() from inside a listener drops what was still queued and nothing throws', () => {
    const { pressure, feed } = drive()
    const seen: string[] = []
    pressure.on('level', () => {
      seen.push('level')
      pressure.close()
    })
    pressure.on('sample', () => seen.push('sample'))
    expect(() => feed(0.9)).not.toThrow()
    expect(seen).toEqual(['level'])
    expect(pressure.closed).toBe(true)
  })
})
