// Tests that need something a fresh machine may lack (a browser, a writable cgroup, promtool).
// Without it such a test is skipped with one line saying how to enable it; under CI=true it
// fails instead, so that it can never stop running in CI without anyone noticing.
import { accessSync, constants, existsSync } from 'node:fs'

export interface Requirement {
  /** True when the test can run here. */
  readonly available: boolean
  /** What is missing and how to get it, for the skip line. */
  readonly reason: string
}

/** Under CI a missing requirement is an error; elsewhere a test that needs it is skipped. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1'

const announced = new Set<string>()

/**
 * Decides whether the tests that need `what` run. Prints the skip line once per requirement;
 * throws under CI=true when it is missing. Use with `describe.skipIf(!req.available)`.
 */
export function requirement(what: string, available: boolean, howToEnable: string): Requirement {
  const reason = `${what} is not available: ${howToEnable}`
  if (!available) {
    if (IN_CI) throw new Error(`${reason} (required under CI=true)`)
    if (!announced.has(what)) {
      announced.add(what)
      console.warn(`skipped: tests that need ${what} (${howToEnable})`)
    }
  }
  return { available, reason }
}

/** The browser for end-to-end tests: `HEAPGUARD_CHROMIUM` names a Chromium or Chrome binary; default Debian's. */
export function chromiumBinary(): { path: string } & Requirement {
  const path = process.env.HEAPGUARD_CHROMIUM || '/usr/bin/chromium'
  return {
    path,
    ...requirement(
      'Chromium',
      isExecutable(path),
      `apt-get install -y chromium, or set HEAPGUARD_CHROMIUM to a Chromium/Chrome binary; ${path} was not found`,
    ),
  }
}

export function isExecutable(path: string): boolean {
  if (!existsSync(path)) return false
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
