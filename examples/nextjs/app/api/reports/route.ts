import { withPressure } from 'heapguard/web'
import { queryReport, type ReportRow } from '@/lib/catalog'

export const dynamic = 'force-dynamic'

const MAX_ROWS = 100_000
/**
 * What one row holds in memory, measured (`node --expose-gc`: heap used before and after building
 * 80,000 rows, divided): 430 bytes, with a margin for the CSV chunk built from it while it streams.
 * The reservation is rows × this. (estimateSize(row) says about half: the rows' strings are built
 * with template literals, cons strings it does not model; measure such shapes.)
 */
const ROW_BYTES = 512

/** The rows a request asks for, bounded: the client never decides how much memory we spend. */
export function rowsOf(request: Request): number {
  const asked = Number.parseInt(new URL(request.url).searchParams.get('rows') ?? '', 10)
  return Number.isFinite(asked) && asked > 0 ? Math.min(asked, MAX_ROWS) : 20_000
}

const encoder = new TextEncoder()
const csvLine = (r: ReportRow) => `${r.day},${r.item},${r.units},${r.revenue.toFixed(2)},${r.note}\n`

// A big, optional answer: low priority, so it is the first work refused when memory runs short.
// The report is assembled in memory, then streamed out as CSV; its slot and its reservation are
// held until the last row is sent.
export const GET = withPressure(
  (request: Request) => {
    const rows = queryReport(rowsOf(request))
    let next = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next >= rows.length) {
          controller.close()
          return
        }
        const end = Math.min(next + 1_000, rows.length)
        let chunk = next === 0 ? 'day,item,units,revenue,note\n' : ''
        for (; next < end; next++) chunk += csvLine(rows[next]!)
        controller.enqueue(encoder.encode(chunk))
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/csv; charset=utf-8' } })
  },
  // Reserved before the handler runs, for as long as the body streams: a report that cannot fit is
  // refused with 503 before it allocates, and the caches give memory back first.
  { priority: 'low', bytes: (request) => rowsOf(request) * ROW_BYTES },
)
