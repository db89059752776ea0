// Bad options are refused where they are given, with the API, the option and the value named.
import { PrismaPg } from '@prisma/adapter-pg'
import { afterAll, describe, expect, it } from 'vitest'
import { heapguardPrisma } from '../../../src/prisma.js'
import { PrismaClient, testController } from '../helpers.js'

const { pressure } = testController()
afterAll(() => pressure.close())

describe('heapguardPrisma options', () => {
  it.each([
    [
      undefined,
      TypeError,
      'heapguardPrisma: argument `pressure` must be a controller from createController() or sharedController(), got undefined (undefined)',
    ],
    [{ reserve() {}, report() {}, on() {}, off() {} }, TypeError, 'without limits.scale()'],
  ])('refuses %s as the controller', (value, kind, message) => {
    expect(() => heapguardPrisma(value as never)).toThrow(kind)
    expect(() => heapguardPrisma(value as never)).toThrow(message)
  })

  it.each([
    [
      { takes: 10 },
      TypeError,
      'heapguardPrisma: unknown option `takes` (known: take, onCap, priority, rowBytes, reserveAbove, logger)',
    ],
    [{ take: 0 }, RangeError, 'heapguardPrisma: option `take` must be an integer >= 1, got 0 (number)'],
    [{ take: 2.5 }, RangeError, 'heapguardPrisma: option `take` must be an integer >= 1, got 2.5 (number)'],
    [{ take: '100' }, TypeError, 'heapguardPrisma: option `take` must be a whole number or a table by level'],
    [{ take: { normal: 100, warning: 0 } }, RangeError, 'option `take.warning` must be an integer >= 1, got 0'],
    [{ take: { warning: 50 } }, TypeError, 'option `take.normal` must be an integer >= 1, got undefined'],
    [
      { take: { normal: 100, warning: 50, critical: 80 } },
      RangeError,
      'heapguardPrisma: option `take` must not grow with pressure: `take.critical` is 80, above `take.warning` 50',
    ],
    [{ take: { normal: 100, severe: 5 } }, TypeError, 'unknown key in option `take` `severe`'],
    [{ onCap: 'ignore' }, RangeError, "option `onCap` must be one of 'cap', 'throw', got \"ignore\" (string)"],
    [{ priority: 'urgent' }, RangeError, "option `priority` must be one of 'critical', 'high', 'normal', 'low'"],
    [{ rowBytes: [600] }, TypeError, 'option `rowBytes` must be an object of bytes a row by model'],
    [{ rowBytes: { Assessment: 0 } }, RangeError, 'option `rowBytes.Assessment` must be a finite number > 0, got 0'],
    [{ logger: 'console' }, TypeError, 'option `logger` must be an object with a warn() method'],
    [{ reserveAbove: -1 }, RangeError, 'option `reserveAbove` must be a finite number >= 0, got -1'],
  ])('refuses %j', (options, kind, message) => {
    expect(() => heapguardPrisma(pressure, options as never)).toThrow(kind)
    expect(() => heapguardPrisma(pressure, options as never)).toThrow(message)
  })

  it('refuses, at $extends, rowBytes for a model the client does not have', () => {
    // Building a client opens no connection.
    const client = new PrismaClient({ adapter: new PrismaPg({ host: '/nonexistent' }) })
    expect(() => client.$extends(heapguardPrisma(pressure, { rowBytes: { Assesment: 600 } }))).toThrow(
      new RangeError(
        'heapguardPrisma: option `rowBytes` names the model "Assesment" (string), which this client does not have (its models: School, Class, Student, Profile, Assessment, Tag)',
      ),
    )
  })

  it('accepts one number for every level, and a partial table', () => {
    expect(() => heapguardPrisma(pressure, { take: 500 })).not.toThrow()
    expect(() =>
      heapguardPrisma(pressure, { take: { normal: 500, critical: 20 }, onCap: 'throw', priority: () => 'low' }),
    ).not.toThrow()
  })
})
