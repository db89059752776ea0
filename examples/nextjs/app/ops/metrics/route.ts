import { metricsHandler } from 'heapguard/web'
import { pressure } from '@/lib/pressure'

export const dynamic = 'force-dynamic'

// Prometheus scrapes this (keep it off the public internet, as any metrics endpoint).
export const GET = metricsHandler(pressure)
