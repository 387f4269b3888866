// Token expiry for every connection with one timer: a binary min-heap of (time, item), armed for
// the earliest. A cancelled entry (its connection closed) drops its item at once, so the heap never
// keeps a closed connection (and its socket) alive until the token's expiry; cancelled entries are
// swept out whenever they make up half of the heap.

interface Entry<T> {
  at: number;
  item: T | undefined;
}

export interface Deadline {
  cancel(): void;
}

const MIN_SWEEP_SIZE = 64;

export class Deadlines<T> {
  private heap: Entry<T>[] = [];
  private cancelled = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  constructor(private readonly onDue: (item: T) => void) {}

  /** Entries in the heap, cancelled ones not yet swept included. */
  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T): Deadline {
    const entry: Entry<T> = { at, item };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    if (at < this.armedAt) this.arm();
    return {
      cancel: () => {
        if (entry.item === undefined) return;
        entry.item = undefined;
        this.cancelled++;
        // Nothing left to wait for: no timer stays armed for a closed stream.
        if (this.cancelled === this.heap.length) this.close();
        else if (this.heap.length >= MIN_SWEEP_SIZE && this.cancelled * 2 >= this.heap.length) this.sweep();
      },
    };
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap = [];
    this.cancelled = 0;
    this.armedAt = Infinity;
  }

  /** Drops cancelled entries and rebuilds the heap (O(n)). */
  private sweep(): void {
    this.heap = this.heap.filter((entry) => entry.item !== undefined);
    this.cancelled = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.arm();
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
    while (this.heap.length > 0 && (this.heap[0] as Entry<T>).at <= now) {
      const { item } = this.pop();
      if (item === undefined) this.cancelled--;
      else this.onDue(item);
    }
    this.arm();
  };

  private pop(): Entry<T> {
    const heap = this.heap;
    const top = heap[0] as Entry<T>;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Entry<T>).at <= (heap[i] as Entry<T>).at) return;
      [heap[i], heap[parent]] = [heap[parent] as Entry<T>, heap[i] as Entry<T>];
      i = parent;
    }
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && (heap[left] as Entry<T>).at < (heap[smallest] as Entry<T>).at) smallest = left;
      if (right < heap.length && (heap[right] as Entry<T>).at < (heap[smallest] as Entry<T>).at) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry<T>, heap[i] as Entry<T>];
      i = smallest;
    }
  }
}
