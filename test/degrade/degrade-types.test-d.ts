import { describe, expectTypeOf, it } from 'vitest'
import {
  createController,
  type BatchRequest,
  inBatches,
  sharedController,
  withTimeout,
  type Controller,
  type FlagChange,
  type FlagInfo,
  type LevelChange,
  type Page,
  type ShutdownContext,
  type TaskInfo,
} from '../../src/index.js'

describe('degradation types', () => {
  const pressure = createController({ autoStart: false })

  it('types flags and tasks, and the list shapes the dashboard reads', () => {
    const flag = pressure.features.flag('f', { offAt: 'warning' })
    expectTypeOf(flag.enabled).toEqualTypeOf<boolean>()
    flag.on('change', (c) => expectTypeOf(c).toEqualTypeOf<FlagChange>())
    // @ts-expect-error: flags never switch off at normal
    pressure.features.flag('g', { offAt: 'normal' })
    // @ts-expect-error: only 'on', 'off' or null
    flag.override('maybe')
    expectTypeOf(pressure.features.list()).toEqualTypeOf<FlagInfo[]>()
    expectTypeOf<FlagInfo>().toEqualTypeOf<{
      name: string
      enabled: boolean
      offAt: 'warning' | 'critical' | 'emergency'
      override: 'on' | 'off' | null
    }>()
    const task = pressure.tasks.every('t', 1000, (signal) => expectTypeOf(signal).toEqualTypeOf<AbortSignal>())
    expectTypeOf(task.paused).toEqualTypeOf<boolean>()
    expectTypeOf(task.stop()).toEqualTypeOf<Promise<void>>()
    expectTypeOf(pressure.tasks.list()).toEqualTypeOf<TaskInfo[]>()
    expectTypeOf<TaskInfo['lastRunAt']>().toEqualTypeOf<number | null>()
  })

  it('types limits, withTimeout and inBatches from their inputs', async () => {
    expectTypeOf(pressure.limits.scale({ normal: 10 }).value).toEqualTypeOf<number>()
    // @ts-expect-error: normal is required
    pressure.limits.scale({ critical: 5 })
    expectTypeOf(pressure.limits.page({ take: '5' }, { max: 10 })).toEqualTypeOf<Page>()
    expectTypeOf(withTimeout(async () => 42, 100)).toEqualTypeOf<Promise<number>>()
    expectTypeOf(withTimeout(Promise.resolve('x'), pressure.limits.scale({ normal: 100 }))).toEqualTypeOf<
      Promise<string>
    >()
    type User = { id: number }
    const findMany = async (args: { take: number; skip?: number; after?: number }): Promise<User[]> => [
      { id: args.take },
    ]
    // an unannotated loader: the item type comes from what it returns
    for await (const page of inBatches((p) => findMany({ take: p.take, skip: p.skip }), { batchSize: 10 })) {
      expectTypeOf(page).toEqualTypeOf<User[]>()
    }
    // keyset pagination: annotate the parameter, and `last` is typed
    for await (const page of inBatches(
      ({ take, last }: BatchRequest<User>) => {
        expectTypeOf(last).toEqualTypeOf<User | undefined>()
        return findMany({ take, after: last?.id })
      },
      { batchSize: 10 },
    )) {
      expectTypeOf(page).toEqualTypeOf<User[]>()
    }
    // or give the type argument
    for await (const page of inBatches<User>(({ take, last }) => findMany({ take, after: last?.id }), {
      batchSize: 10,
    })) {
      expectTypeOf(page).toEqualTypeOf<User[]>()
    }
  })

  it('types level hooks, shutdown hooks and the shared controller', () => {
    pressure.onLevel('emergency', (c) => expectTypeOf(c).toEqualTypeOf<LevelChange>(), { on: 'leave' })
    // @ts-expect-error: no hooks on normal (use onLevel('warning', fn, { on: 'leave' }))
    pressure.onLevel('normal', () => {})
    pressure.onShutdown((ctx) => expectTypeOf(ctx).toEqualTypeOf<ShutdownContext>())
    expectTypeOf(pressure.closeOnSignals({ signals: ['SIGTERM'] })).toEqualTypeOf<() => void>()
    expectTypeOf(sharedController()).toEqualTypeOf<Controller>()
    createController({ emergency: { gc: 'critical', heapSnapshots: 1 } })
  })
})
