// Element helpers. Every name shown comes from the application (caches, flags, tasks, sources),
// so text only ever goes in through textContent and attributes through setAttribute: no markup
// is ever parsed.
import type { Level } from '../../../pressure/levels.js'

const SVG_NS = 'http://www.w3.org/2000/svg'

export type Attributes = Record<string, string | number>

/** The page's element with this id; the markup and this script ship together, so it exists. */
export function byId(id: string): HTMLElement {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`heapguard dashboard: no element #${id}`)
  return found
}

function setAttributes(node: Element, attrs: Attributes | undefined): void {
  if (attrs) for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value))
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string | null,
  attrs?: Attributes,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (text !== undefined && text !== null) node.textContent = text
  setAttributes(node, attrs)
  return node
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attributes,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag)
  setAttributes(node, attrs)
  if (text !== undefined) node.textContent = text
  return node
}

/** Empties `node` and returns it, to be filled again. */
export function clear<T extends Element>(node: T): T {
  node.replaceChildren()
  return node
}

export function levelSpan(level: Level): HTMLSpanElement {
  return el('span', level, { class: 'lvl', 'data-level': level })
}

export function cell(content: string | Node, className?: string): HTMLTableCellElement {
  const td = typeof content === 'string' ? el('td', content) : el('td')
  if (typeof content !== 'string') td.appendChild(content)
  if (className) td.className = className
  return td
}

export function row(cells: HTMLTableCellElement[], attrs?: Attributes): HTMLTableRowElement {
  const tr = el('tr', null, attrs)
  tr.append(...cells)
  return tr
}

/** Fills a table body; `rows` is null when the controller has no such subsystem. */
export function fillBody(id: string, rows: HTMLTableRowElement[] | null, columns: number, emptyText: string): void {
  const tbody = clear(byId(id))
  if (rows === null || rows.length === 0) {
    const text = rows === null ? 'not available' : emptyText
    tbody.appendChild(row([el('td', text, { colspan: columns, class: 'empty' })]))
    return
  }
  tbody.append(...rows)
}

/** A small horizontal gauge for a 0..1 ratio. */
export function bar(ratio: number, color?: string): HTMLSpanElement {
  const outer = el('span', null, { class: 'bar' })
  const inner = el('span')
  // CSSOM, not a style attribute: the CSP allows only the page's own style sheet.
  inner.style.width = `${Math.max(0, Math.min(1, ratio)) * 100}%`
  if (color) inner.style.background = color
  outer.appendChild(inner)
  return outer
}

/** Adds one term and its value to a `<dl>`. */
export function definition(list: Element, term: string, value: string): void {
  list.append(el('dt', term), el('dd', value))
}
