// ---- pressure (src/pressure) ----
export { LEVELS, type Level } from './pressure/levels.js'
export {
  createController,
  Controller,
  type ControllerOptions,
  type ControllerTuning,
  type ControllerEventMap,
} from './controller.js'
export { MODES, type Mode } from './pressure/delivery/level-bus.js'
export type { PressureTuning } from './pressure/level/tuning.js'
export { PressureController, SourceError, type ForceOptions } from './pressure/pressure-controller.js'
export type { LiveCheckOptions } from './pressure/level/live-check.js'
export { heapSource, type HeapSourceOptions } from './pressure/sources/heap.js'
export { rssSource, type RssSourceOptions } from './pressure/sources/rss.js'
export { cgroupSource, type CgroupSourceOptions } from './pressure/sources/cgroup.js'
export { externalSource, type ExternalSourceOptions } from './pressure/sources/external.js'
export { eventLoopSource, type EventLoopSourceOptions } from './pressure/sources/event-loop.js'
export { defaultSources } from './pressure/sources/defaults.js'
export type { CgroupPaths } from './pressure/sources/cgroup-layout.js'
export type { Trend } from './pressure/history/trend.js'
export type {
  Source,
  SourceContext,
  SourceFloor,
  Floor,
  Reading,
  SourceReading,
  Sample,
  LevelChange,
  LevelCause,
  Thresholds,
  Logger,
  GcInfo,
  GcEntry,
  GcSubscribe,
  ControllerEvents,
} from './pressure/types.js'
export type { PressureOptions } from './pressure/options.js'

// ---- what grows (src/leaks) ----
export type { Leaks, LeakSuspect, LeakStats } from './leaks/leaks.js'
export type { LeakOptions, CaptureOptions } from './leaks/options.js'
export type { LeakReport, LeakReportData, LeakTrigger, WatchedGrowth } from './leaks/report.js'
export type { LeakSite, SiteFindings } from './leaks/sites.js'
export { compareHeapProfiles, type ProfileAt, type CompareOptions } from './leaks/compare.js'
export type { MemoryGrowth, GrowingMemory } from './leaks/growth.js'
export type { HeapProfile, HeapProfileNode, HeapProfileSample, CallFrame } from './leaks/profile.js'
export { LeakCaptureError, type LeakCaptureReason } from './leaks/errors.js'

// ---- caches (src/caches) ----
export type { CacheRegistry, CachePolicyOptions, CacheOptions } from './caches/registry.js'
export type { CacheBudgetStats } from './caches/pool.js'
export { DEFAULT_CACHE_POLICY, type CachePolicy } from './caches/policy.js'
export type { ManagedLru, GetOrLoadOptions, ManagedLruStats } from './caches/lru/managed-lru.js'
export type { ManagedLruOptions } from './caches/lru/options.js'
export type { Loader } from './caches/lru/loader.js'
export { estimateSize, type EstimateSizeOptions } from './caches/estimate-size.js'
export {
  CACHE_PRIORITIES,
  type CachePriority,
  type CacheStats,
  type Managed,
  type ManagedContext,
  type RegisterOptions,
} from './caches/types.js'

// ---- shedding (src/degrade: shed) ----
export type { ShedOptions, ShedStats, ShedEvents, RunOptions, AcquireOptions } from './degrade/shed/shedder.js'
export { ShedError, type ShedReason, type ShedRefusal } from './degrade/shed/error.js'
export { PRIORITIES, type Priority } from './degrade/shed/priority.js'
export {
  DEFAULT_ADMISSION,
  type AdmissionOptions,
  type AdmissionRule,
  type AdmissionTable,
} from './degrade/shed/admission.js'
export type { Shedder, ShedMiddleware, ShedMiddlewareOptions } from './http/node/middleware.js'
export type { ShedPermit, PermitState, PermitCallback } from './degrade/shed/permit.js'

// ---- reservations (src/degrade: reserve) ----
export type { Reservation, ReservationState } from './degrade/reserve/reservation.js'
export type { Reservations, ReserveOptions, ReservationStats, ReservationInfo } from './degrade/reserve/ledger.js'
export type { ReservationLines } from './degrade/reserve/lines.js'
export { RECONCILE_RULES, type ReconcileRule, type ReservationOptions } from './degrade/reserve/options.js'
export { ReservationLeakError } from './degrade/reserve/leak.js'
export type { RequestBytes } from './http/policy.js'

// ---- degradation (src/degrade: flags, tasks, limits, actions, lifecycle) ----
export type {
  FeatureFlags,
  Flag,
  FlagOptions,
  FlagChange,
  FlagInfo,
  FlagOverride,
  FlagListener,
} from './degrade/features.js'
export type { TaskScheduler, TaskOptions } from './degrade/tasks.js'
export { TaskError, type Task, type TaskFn, type TaskInfo } from './degrade/task.js'
export type { Limits } from './degrade/limits/limits.js'
export type { ScaledValue, Scaled, Scalable, LevelValues } from './degrade/limits/scaled-value.js'
export { PageError, type Page, type PageInput, type PageOptions } from './degrade/limits/page.js'
export { withTimeout, TimeoutError, type TimeoutWork, type WithTimeoutOptions } from './degrade/limits/timeout.js'
export { inBatches, type BatchOptions, type BatchRequest, type LoadPage } from './degrade/limits/batches.js'
export type { LevelHook, LevelHookOptions } from './degrade/level-actions.js'
export type { EmergencyOptions } from './degrade/emergency-actions.js'
export type { ShutdownHook, ShutdownContext, ShutdownHookOptions, ShutdownOptions } from './lifecycle/shutdown.js'
export type { CloseOnSignalsOptions } from './lifecycle/signals.js'
export { sharedController } from './lifecycle/shared-controller.js'

// ---- deprecated: working until 1.0 (src/deprecated.ts, CHANGELOG) ----
export {
  usableHeapLimit,
  detectMemoryLimit,
  GC_EFFORT_RULES,
  PSI_RULES,
  type MemoryLimit,
  type MemoryLimitOrigin,
  type MemoryLimitProbe,
  type GcEffortRule,
  type ShedHttpOptions,
} from './deprecated.js'
