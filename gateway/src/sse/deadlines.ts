// Token expiry for every connection with one timer: a binary min-heap of (time, item), armed for
// the earliest. Closed connections are skipped lazily when they come up.

interface Entry<T> {
  at: number;
  item: T;
}

export class Deadlines<T> {
  private readonly heap: Entry<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  constructor(private readonly onDue: (item: T) => void) {}

  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T): void {
    const heap = this.heap;
    heap.push({ at, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Entry<T>).at <= at) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry<T>, heap[i] as Entry<T>];
      i = parent;
    }
    if (at < this.armedAt) this.arm();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
    this.armedAt = Infinity;
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const next = this.heap[0];
    if (next === undefined) {
      this.timer = undefined;
      this.armedAt = Infinity;
      return;
    }
    this.armedAt = next.at;
    // setTimeout takes at most 2^31-1 ms; longer waits re-arm when they fire.
    this.timer = setTimeout(this.fire, Math.min(Math.max(0, next.at - Date.now()), 0x7fffffff));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = Date.now();
    while (this.heap.length > 0 && (this.heap[0] as Entry<T>).at <= now) this.onDue(this.pop().item);
    this.arm();
  };

  private pop(): Entry<T> {
    const heap = this.heap;
    const top = heap[0] as Entry<T>;
    const last = heap.pop() as Entry<T>;
    if (heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && (heap[left] as Entry<T>).at < (heap[smallest] as Entry<T>).at) smallest = left;
      if (right < heap.length && (heap[right] as Entry<T>).at < (heap[smallest] as Entry<T>).at) smallest = right;
      if (smallest === i) return top;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry<T>, heap[i] as Entry<T>];
      i = smallest;
    }
  }
}
