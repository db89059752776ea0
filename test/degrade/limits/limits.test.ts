import Fastify from 'fastify'
import express from 'express'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { drive } from '../../support/drive.js'
import { LEVELS, PageError } from '../../../src/index.js'

describe('limits.scale', () => {
  it('gives the value for the effective level now, following samples, force() and release()', () => {
    const { pressure, feed } = drive()
    const pageSize = pressure.limits.scale({ normal: 100, warning: 50, critical: 20, emergency: 5 })
    expect(pageSize.value).toBe(100)
    feed(0.75)
    expect(pageSize.value).toBe(50)
    feed(0.9)
    expect(pageSize.value).toBe(20)
    pressure.force('emergency')
    expect(pageSize.value).toBe(5)
    pressure.release()
    expect(pageSize.value).toBe(20)
    pressure.close()
  })

  it('fills a missing level from the level below it', () => {
    const { pressure } = drive()
    const s = pressure.limits.scale({ normal: 100, critical: 20 })
    expect(LEVELS.map((l) => s.at(l))).toEqual([100, 100, 20, 20])
    expect(s.values()).toEqual({ normal: 100, warning: 100, critical: 20, emergency: 20 })
    expect(JSON.parse(JSON.stringify(s))).toEqual(s.values())
    pressure.force('emergency')
    expect(s.value).toBe(20)
    expect(pressure.limits.scale({ normal: 7 }).value).toBe(7)
    pressure.close()
  })

  it('rejects bad tables with messages naming the level and the value', () => {
    const { pressure } = drive()
    const { limits } = pressure
    expect(() => limits.scale(undefined as never)).toThrow(TypeError)
    expect(() => limits.scale({ warning: 5 } as never)).toThrow(
      new TypeError('limits.scale: argument `values.normal` must be a finite number, got undefined (undefined)'),
    )
    expect(() => limits.scale({ normal: 10, critical: NaN })).toThrow(
      new RangeError('limits.scale: argument `values.critical` must be a finite number, got NaN (number)'),
    )
    expect(() => limits.scale({ normal: 10, critical: '5' as never })).toThrow(TypeError)
    expect(() => limits.scale({ normal: Infinity })).toThrow(RangeError)
    expect(() => limits.scale({ normal: 1, crtical: 2 } as never)).toThrow(
      new TypeError(
        'limits.scale: unknown key in argument `values` `crtical` (known: normal, warning, critical, emergency)',
      ),
    )
    expect(() => limits.scale([1, 2] as never)).toThrow(
      new TypeError('limits.scale: argument `values` must be an object, got an array'),
    )
    expect(() => limits.scale({ normal: 1 }).at('high' as never)).toThrow(RangeError)
    pressure.close()
  })
})

describe('limits.scale: values that grow with pressure', () => {
  it('warns once per table (code HEAPGUARD_SCALE_GROWS) when a value grows as the level rises, and still builds it', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const { pressure } = drive()
      const { limits } = pressure
      const loose = limits.scale({ normal: 10, warning: 50 })
      expect(loose.values()).toEqual({ normal: 10, warning: 50, critical: 50, emergency: 50 })
      limits.scale({ normal: 10, warning: 50 }) // the same table again: no second warning
      expect(warn).toHaveBeenCalledTimes(1)
      expect(warn.mock.calls[0]![0]).toBe(
        'limits.scale: argument `values` grows with pressure (warning 50 > normal 10): a scaled limit should tighten as the level rises; if growing is meant (a delay, a backoff), ignore this warning',
      )
      expect(warn.mock.calls[0]![1]).toMatchObject({ type: 'HeapguardWarning', code: 'HEAPGUARD_SCALE_GROWS' })
      // Tables that tighten, or stay flat, say nothing.
      limits.scale({ normal: 100, warning: 50, critical: 20, emergency: 5 })
      limits.scale({ normal: 7 })
      limits.scale({ normal: 100, critical: 100 })
      expect(warn).toHaveBeenCalledTimes(1)
      // Another growing table warns once too, naming its first rise.
      limits.scale({ normal: 100, critical: 20, emergency: 40 })
      expect(warn).toHaveBeenCalledTimes(2)
      expect(warn.mock.calls[1]![0]).toContain('(emergency 40 > critical 20)')
      pressure.close()
    } finally {
      warn.mockRestore()
    }
  })
})

describe('limits.page', () => {
  it('parses numbers and strings from a query string, with defaults, and clamps take to max', () => {
    const { pressure } = drive()
    const page = (input: unknown) => pressure.limits.page(input as never, { default: 20, max: 100 })
    expect(page({ take: '50', skip: '200' })).toEqual({ take: 50, skip: 200 })
    expect(page({ take: 30, skip: 0 })).toEqual({ take: 30, skip: 0 })
    expect(page({ take: '1000000' })).toEqual({ take: 100, skip: 0 })
    expect(page({ take: '99999999999999999999' })).toEqual({ take: 100, skip: 0 }) // any whole number: clamped to max
    expect(page({})).toEqual({ take: 20, skip: 0 })
    expect(page(undefined)).toEqual({ take: 20, skip: 0 })
    expect(page({ take: '', skip: null })).toEqual({ take: 20, skip: 0 })
    expect(page({ take: '007' })).toEqual({ take: 7, skip: 0 })
    expect(page({ take: 0 })).toEqual({ take: 0, skip: 0 })
    expect(page({ take: -0 })).toStrictEqual({ take: 0, skip: 0 })
    // other keys of the query are none of its business
    expect(page({ take: '5', q: 'shoes', sort: 'price' })).toEqual({ take: 5, skip: 0 })
    expect(pressure.limits.page({}, { max: 100 })).toEqual({ take: 20, skip: 0 })
    pressure.close()
  })

  it('reads a URLSearchParams directly: values, defaults, and a repeated parameter refused (400)', () => {
    const { pressure } = drive()
    const page = (query: string) => pressure.limits.page(new URL(`http://x/?${query}`).searchParams, { max: 100 })
    expect(page('take=50&skip=200&q=shoes')).toEqual({ take: 50, skip: 200 })
    expect(page('')).toEqual({ take: 20, skip: 0 })
    expect(page('take=1000')).toEqual({ take: 100, skip: 0 })
    for (const [query, field] of [
      ['take=1&take=2', 'take'],
      ['skip=0&skip=5', 'skip'],
      ['take=abc', 'take'],
    ] as const) {
      let error: unknown
      try {
        page(query)
      } catch (e) {
        error = e
      }
      expect(error, query).toBeInstanceOf(PageError)
      expect(error).toMatchObject({ field, statusCode: 400 })
    }
    expect(() => page('take=1&take=2')).toThrow(
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got 2 values (the parameter was repeated): "1, 2" (string)',
    )
    // Object.fromEntries(searchParams), the old advice, kept only the last value: the repeat passed.
    const query = new URL('http://x/?take=1&take=2').searchParams
    expect(pressure.limits.page(Object.fromEntries(query), { max: 100 })).toEqual({ take: 2, skip: 0 })
    pressure.close()
  })

  it('shrinks pages under pressure with a scaled max (the default is clamped too)', () => {
    const { pressure } = drive()
    const max = pressure.limits.scale({ normal: 100, warning: 50, critical: 10 })
    const page = (take?: string) => pressure.limits.page({ take }, { default: 20, max }).take
    expect([page('80'), page()]).toEqual([80, 20])
    pressure.force('warning')
    expect([page('80'), page()]).toEqual([50, 20])
    pressure.force('critical')
    expect([page('80'), page()]).toEqual([10, 10])
    pressure.close()
  })

  it('rounds a fractional max down (a scaled value computed as a share of something)', () => {
    const { pressure } = drive()
    expect(pressure.limits.page({ take: '99' }, { max: pressure.limits.scale({ normal: 12.9 }) }).take).toBe(12)
    pressure.close()
  })

  it.each([
    // What a client can send: digits, and the page size in force (max 100 here, default 20).
    [
      'take',
      'abc',
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got "abc" (string)',
    ],
    [
      'take',
      '-1',
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got "-1" (string)',
    ],
    [
      'take',
      '1.5',
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got "1.5" (string)',
    ],
    [
      'take',
      '1e3',
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got "1e3" (string)',
    ],
    [
      'take',
      ' 5',
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got " 5" (string)',
    ],
    [
      'take',
      '0x10',
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got "0x10" (string)',
    ],
    ['take', -1, 'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got -1 (number)'],
    ['take', 2.5, 'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got 2.5 (number)'],
    ['take', NaN, 'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got NaN (number)'],
    [
      'take',
      ['1', '2'],
      'page: `take` must be a whole number in digits, such as 20 (at most 100 per page), got 2 values (the parameter was repeated): "1, 2" (string)',
    ],
    ['skip', true, 'page: `skip` must be a whole number in digits, got true (boolean)'],
    ['skip', {}, 'page: `skip` must be a whole number in digits, got an object'],
    [
      'skip',
      '99999999999999999999',
      'page: `skip` must be a whole number in digits from 0 to 9007199254740991, got "99999999999999999999" (string)',
    ],
  ])(
    'rejects %s = %j with a PageError (a RangeError, status 400) naming the field and the value',
    (field, value, message) => {
      const { pressure } = drive()
      let error: unknown
      try {
        pressure.limits.page({ [field]: value }, { max: 100, default: 20 })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(PageError)
      expect(error).toBeInstanceOf(RangeError)
      expect(error).toMatchObject({ message, field, statusCode: 400, status: 400 })
      expect((error as PageError).value).toStrictEqual(value)
      pressure.close()
    },
  )

  it('cuts a long client value short in the message', () => {
    const { pressure } = drive()
    expect(() => pressure.limits.page({ take: 'x'.repeat(5000) }, { max: 10 })).toThrow(
      `page: \`take\` must be a whole number in digits, such as 10 (at most 10 per page), got "${'x'.repeat(40)}"… (string of 5000 characters)`,
    )
    pressure.close()
  })

  it('maxSkip refuses offsets that are too deep, and may scale', () => {
    const { pressure } = drive()
    const maxSkip = pressure.limits.scale({ normal: 10_000, critical: 1000 })
    expect(pressure.limits.page({ skip: '5000' }, { max: 50, maxSkip })).toEqual({ take: 20, skip: 5000 })
    pressure.force('critical')
    expect(() => pressure.limits.page({ skip: '5000' }, { max: 50, maxSkip })).toThrow(
      new PageError('skip', '5000', 'a whole number in digits from 0 to 1000'),
    )
    expect(() => pressure.limits.page({ skip: '5000' }, { max: 50, maxSkip })).toThrow(
      'page: `skip` must be a whole number in digits from 0 to 1000, got "5000" (string)',
    )
    // A malformed skip says the same: what the client can send.
    expect(() => pressure.limits.page({ skip: 'last' }, { max: 50, maxSkip })).toThrow(
      'page: `skip` must be a whole number in digits from 0 to 1000, got "last" (string)',
    )
    pressure.close()
  })

  it('rejects bad options with plain TypeError/RangeError (no status: they are bugs, not bad requests)', () => {
    const { pressure } = drive()
    const { limits } = pressure
    const noMax = (() => {
      try {
        limits.page({}, {} as never)
      } catch (e) {
        return e
      }
    })()
    expect(noMax).toBeInstanceOf(TypeError)
    expect(noMax).not.toHaveProperty('statusCode')
    expect((noMax as Error).message).toMatch(/^limits\.page: option `max` is required/)
    expect(() => limits.page({}, { max: -1 })).toThrow(
      new RangeError('limits.page: option `max` must be a finite number >= 0, got -1 (number)'),
    )
    expect(() => limits.page({}, { max: '100' as never })).toThrow(
      new TypeError(
        'limits.page: option `max` must be a number or a scaled value (pressure.limits.scale(...)), got "100" (string)',
      ),
    )
    expect(() => limits.page({}, { max: { value: NaN } })).toThrow(
      new RangeError('limits.page: the current value of option `max` must be a finite number >= 0, got NaN (number)'),
    )
    expect(() => limits.page({}, { max: 10, default: 0 })).toThrow(RangeError)
    expect(() => limits.page({}, { max: 10, default: 2.5 })).toThrow(RangeError)
    expect(() => limits.page({}, { max: 10, maxSkip: -5 })).toThrow(RangeError)
    expect(() => limits.page({}, { max: 10, limit: 5 } as never)).toThrow(
      new TypeError('limits.page: unknown option `limit` (known: default, max, maxSkip)'),
    )
    expect(() => limits.page('take=5' as never, { max: 10 })).toThrow(
      new TypeError(
        'limits.page: argument `input` must be an object such as req.query or a URLSearchParams, got "take=5" (string)',
      ),
    )
    expect(() => limits.page([] as never, { max: 10 })).toThrow(TypeError)
    pressure.close()
  })
})

describe('a page-size cap on real routes', () => {
  const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i }))

  it('Fastify answers 400 for bad input by itself (statusCode) and caps the page', async () => {
    const { pressure } = drive()
    const max = pressure.limits.scale({ normal: 100, critical: 10 })
    const app = Fastify()
    app.get('/products', async (req) => {
      const { take, skip } = pressure.limits.page(req.query as Record<string, string>, { default: 20, max })
      return rows.slice(skip, skip + take)
    })
    const ok = await app.inject('/products?take=500&skip=10')
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toHaveLength(100)
    expect(ok.json()[0]).toEqual({ id: 10 })
    pressure.force('critical')
    expect((await app.inject('/products?take=500')).json()).toHaveLength(10)
    const bad = await app.inject('/products?take=lots')
    expect(bad.statusCode).toBe(400)
    // What the client reads: what it can send, with the page size in force now (critical: 10).
    expect(bad.json()).toMatchObject({
      statusCode: 400,
      code: 'HEAPGUARD_PAGE',
      message: 'page: `take` must be a whole number in digits, such as 10 (at most 10 per page), got "lots" (string)',
    })
    await app.close()
    pressure.close()
  })

  it("Express's default error handler answers 400 too (err.status)", async () => {
    const { pressure } = drive()
    const app = express()
    app.get('/products', (req, res) => {
      const { take, skip } = pressure.limits.page(req.query, { max: 50 })
      res.json(rows.slice(skip, skip + take))
    })
    // silence the default handler's stack trace on stderr
    app.set('env', 'test')
    const server = app.listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const ok = await fetch(`${base}/products?take=80`)
      expect(((await ok.json()) as unknown[]).length).toBe(50)
      const bad = await fetch(`${base}/products?take=-3`)
      expect(bad.status).toBe(400)
      // duplicate parameters arrive as an array: refused, not served
      expect((await fetch(`${base}/products?take=1&take=2`)).status).toBe(400)
    } finally {
      await new Promise((r) => server.close(r))
      pressure.close()
    }
  })
})
