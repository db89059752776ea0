/** A fixed-size FIFO: pushing onto a full buffer drops the oldest item. */
export class RingBuffer<T> {
  readonly #items: (T | undefined)[]
  #start = 0
  #length = 0

  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(capacity)
  }

  get length(): number {
    return this.#length
  }

  push(item: T): void {
    const end = (this.#start + this.#length) % this.capacity
    this.#items[end] = item
    if (this.#length < this.capacity) this.#length++
    else this.#start = (this.#start + 1) % this.capacity
  }

  /** The newest item, or undefined when empty. */
  last(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[(this.#start + this.#length - 1) % this.capacity]
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.#length)
    for (let i = 0; i < this.#length; i++) out[i] = this.#items[(this.#start + i) % this.capacity] as T
    return out
  }

  clear(): void {
    this.#items.fill(undefined)
    this.#start = 0
    this.#length = 0
  }
}
