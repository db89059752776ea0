import { healthHandler, withPressure } from 'heapguard/web'
import { pressure } from '@/lib/pressure'

export const dynamic = 'force-dynamic'

// Readiness: critical, so the probe is answered at every level (503 only at emergency, which
// tells the load balancer to send traffic elsewhere until this process recovers).
export const GET = withPressure(healthHandler(pressure), { priority: 'critical' })
