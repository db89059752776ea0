import { Session } from 'node:inspector'

/**
 * V8's sampling heap profiler seen from outside heapguard, through a session of the test's own:
 * whether one runs, and starting or stopping one as an APM agent would.
 */
export function samplerRunning(): boolean {
  const session = new Session()
  session.connect()
  let running: boolean | undefined
  // Answered synchronously in process: an error when no sampler runs (reading one forces a GC).
  session.post('HeapProfiler.getSamplingProfile', (error) => (running = error === null))
  session.disconnect()
  if (running === undefined) throw new Error('the inspector answered asynchronously')
  return running
}

/** Starts a sampler the way an agent does; returns the function that stops it. */
export function foreignSampler(intervalBytes = 512 * 1024): () => void {
  const session = new Session()
  session.connect()
  session.post('HeapProfiler.startSampling', { samplingInterval: intervalBytes })
  return () => session.disconnect()
}
