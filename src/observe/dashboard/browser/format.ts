// How the page writes numbers. Values arrive as JSON, where NaN and Infinity become null.

/** Shown where a value is unknown. */
export const DASH = '\u2014'

const KIB = 1024
const MIB = KIB * 1024
const GIB = MIB * 1024

function known(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n)
}

export function bytes(n: number | null | undefined): string {
  if (!known(n)) return DASH
  const a = Math.abs(n)
  if (a >= GIB) return `${(n / GIB).toFixed(2)} GiB`
  if (a >= MIB) return `${(n / MIB).toFixed(1)} MiB`
  if (a >= KIB) return `${(n / KIB).toFixed(1)} KiB`
  return `${Math.round(n)} B`
}

/** A ratio as a percentage: 0.725 → `72.5 %`. */
export function pct(ratio: number | null | undefined): string {
  return known(ratio) ? `${(ratio * 100).toFixed(1)} %` : DASH
}

export function duration(ms: number | null | undefined): string {
  if (!known(ms)) return DASH
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`
  if (s < 3600) return `${(s / 60).toFixed(1)} min`
  return `${(s / 3600).toFixed(1)} h`
}

/** A time on the controller's clock. */
export function clock(at: number): string {
  // The controller's default clock is epoch-based; an injected clock may not be.
  return at > 1e12 ? new Date(at).toLocaleTimeString() : `t=${(at / 1000).toFixed(1)} s`
}
