const MiB = 1024 * 1024

/** Bytes as messages write them: `24.0 MiB`, or `512 B` below a KiB. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`
  if (Math.abs(bytes) < MiB) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / MiB).toFixed(1)} MiB`
}
