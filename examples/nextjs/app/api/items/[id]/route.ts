import { withPressure } from 'heapguard/web'
import { loadItem } from '@/lib/catalog'
import { items } from '@/lib/pressure'

export const dynamic = 'force-dynamic'

// The hot path: normal priority (the default), served from the managed cache. It is refused only
// at emergency, where the admission table lets nothing but critical work in.
export const GET = withPressure(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params
  let item = items.get(id)
  const hit = item !== undefined
  if (item === undefined) {
    item = await loadItem(id)
    items.set(id, item)
  }
  return Response.json(item, { headers: { 'x-cache': hit ? 'hit' : 'miss' } })
})
