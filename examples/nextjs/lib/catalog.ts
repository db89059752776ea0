import type { Item } from './pressure'

/** Stands for the database: an item takes a few milliseconds to load. */
export async function loadItem(id: string): Promise<Item> {
  await new Promise((resolve) => setTimeout(resolve, 2))
  const n = Number.parseInt(id, 10) || 0
  return {
    id,
    name: `Item ${id}`,
    price: (n % 1000) + 0.99,
    description: `A fine item, number ${id}. `.repeat(20),
  }
}

/** One row of the sales report. */
export interface ReportRow {
  day: string
  item: string
  units: number
  revenue: number
  note: string
}

/** Stands for a query that returns `rows` rows at once, as a findMany() without `take` does. */
export function queryReport(rows: number): ReportRow[] {
  const out: ReportRow[] = []
  for (let i = 0; i < rows; i++) {
    out.push({
      day: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`,
      item: `Item ${i % 5000}`,
      units: i % 17,
      revenue: (i % 17) * 9.99,
      note: `row ${i} of ${rows}: ${'x'.repeat(64)}`,
    })
  }
  return out
}
