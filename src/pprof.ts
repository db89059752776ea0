/**
 * `heapguard/pprof`: a leak report (or any `.heapprofile`) as gzipped pprof, for Pyroscope, Grafana
 * and `go tool pprof`. `pprof-format` is an optional peer dependency; only this entry imports it.
 */
export { toPprof, type PprofOptions } from './leaks/pprof.js'
