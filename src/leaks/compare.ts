import { checkNumber, checkOptions, describe, optionKeys } from '../util/validate.js'
import { FrameResolver } from './frames.js'
import type { HeapProfile } from './profile.js'
import { shortFile } from './report.js'
import { growingSites, type SiteFindings } from './sites.js'

/** One profile of a series taken from one running sampler, oldest first. */
export interface ProfileAt {
  /** When it was read, ms (any clock: only differences count). */
  at: number
  profile: HeapProfile
  /** The heap's used bytes then; default the profile's own total (its live sampled bytes). */
  heapBytes?: number
}

export interface CompareOptions {
  /** Default 20: the most sites returned. */
  maxSites?: number
}

const COMPARE_KEYS = optionKeys<CompareOptions>({ maxSites: true })

/**
 * What a window does with its checkpoints, for profiles you read yourself (successive
 * `HeapProfiler.getSamplingProfile` results of one sampler, or `.heapprofile` files taken one
 * after the other from it): the allocation sites whose live bytes grew at every step at which the
 * heap grew, fastest first, the first profile being the baseline. See docs/leaks.md.
 */
export function compareHeapProfiles(profiles: readonly ProfileAt[], options?: CompareOptions): SiteFindings {
  const W = 'compareHeapProfiles'
  const { maxSites = 20 } = checkOptions<CompareOptions>(W, 'options', options, COMPARE_KEYS)
  checkNumber(W, 'option `maxSites`', maxSites, { min: 0, integer: true, max: 10_000 })
  if (!Array.isArray(profiles))
    throw new TypeError(`${W}: argument \`profiles\` must be an array, got ${describe(profiles)}`)
  const checkpoints = profiles.map((p: unknown, i) => {
    const { at, profile, heapBytes } = (p ?? {}) as Partial<ProfileAt>
    checkNumber(W, `\`profiles[${i}].at\``, at)
    if (!isProfile(profile)) {
      throw new TypeError(
        `${W}: \`profiles[${i}].profile\` must be a heap profile { head, samples }, got ${describe(profile)}`,
      )
    }
    const heap =
      heapBytes === undefined ? totalOf(profile) : checkNumber(W, `\`profiles[${i}].heapBytes\``, heapBytes, { min: 0 })
    return { t: at!, profile, heap }
  })
  return growingSites(checkpoints, { resolver: new FrameResolver(), maxSites, stackDepth: 8, shortFile })
}

function isProfile(value: unknown): value is HeapProfile {
  const p = value as Partial<HeapProfile> | null | undefined
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.head === 'object' &&
    p.head !== null &&
    Array.isArray(p.head.children)
  )
}

function totalOf(profile: HeapProfile): number {
  let total = 0
  const stack = [profile.head]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (Number.isFinite(node.selfSize)) total += node.selfSize
    for (const child of node.children ?? []) stack.push(child)
  }
  return total
}
