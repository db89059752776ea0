// ---- pressure (src/pressure) ----
export { LEVELS, type Level } from './pressure/levels.js'
export { createController, Controller, type ControllerOptions } from './controller.js'
export { PressureController, SourceError, type ForceOptions } from './pressure/controller.js'
export { heapSource, usableHeapLimit, type HeapSourceOptions } from './pressure/heap-source.js'
export { rssSource, detectMemoryLimit, type RssSourceOptions, type MemoryLimit } from './pressure/rss-source.js'
export type { Trend } from './pressure/trend.js'
export type {
  Source,
  Reading,
  SourceReading,
  Sample,
  LevelChange,
  Thresholds,
  Logger,
  GcInfo,
  GcSubscribe,
  ControllerEvents,
} from './pressure/types.js'
export type { PressureOptions } from './pressure/options.js'
export type { ControllerCore } from './pressure/core.js'

// ---- caches (src/caches) ----

// ---- shedding (src/degrade: shed) ----

// ---- degradation (src/degrade: flags, tasks, limits, actions, lifecycle) ----
