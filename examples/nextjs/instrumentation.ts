// Runs when a Next.js server starts, before it serves a request: the place to build the
// controller. Next.js may call register() more than once, and also for the edge runtime, where
// heapguard has nothing to measure: the Node.js work is in a module imported only there.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { registerPressure } = await import('./lib/register')
  registerPressure()
}
