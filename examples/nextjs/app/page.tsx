import { headers } from 'next/headers'
import { items } from '@/lib/pressure'
import { loadItem } from '@/lib/catalog'

export const dynamic = 'force-dynamic'

// A page render: proxy.ts decides before it starts whether it may run at the current level.
export default async function Home() {
  const seen = (await headers()).get('x-heapguard-level') ?? 'unknown'
  const shown = await Promise.all(
    ['1', '2', '3'].map(async (id) => {
      const cached = items.get(id)
      if (cached !== undefined) return cached
      const item = await loadItem(id)
      items.set(id, item)
      return item
    }),
  )
  return (
    <main>
      <h1>heapguard shop</h1>
      <p>
        Memory level seen by proxy.ts: <strong id="level">{seen}</strong>
      </p>
      <ul>
        {shown.map((item) => (
          <li key={item.id}>
            {item.name}: {item.price}
          </li>
        ))}
      </ul>
    </main>
  )
}
