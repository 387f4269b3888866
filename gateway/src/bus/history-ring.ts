// A channel's retained history for the in-memory bus: the newest `capacity` entries, oldest first,
// in a fixed array (no shifting), searched by id in O(log n).
import { compareStreamIds, type HistoryEntry } from '@sse-gateway/publisher/protocol';

export class HistoryRing {
  private readonly slots: (HistoryEntry | undefined)[];
  /** Index of the oldest entry. */
  private start = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.slots = new Array<HistoryEntry | undefined>(capacity);
  }

  /** Appends `entry`, dropping the oldest one when full (like XADD MAXLEN =). */
  push(entry: HistoryEntry): void {
    if (this.count < this.capacity) {
      this.slots[(this.start + this.count) % this.capacity] = entry;
      this.count += 1;
      return;
    }
    this.slots[this.start] = entry;
    this.start = (this.start + 1) % this.capacity;
  }

  last(): HistoryEntry | undefined {
    return this.count === 0 ? undefined : this.at(this.count - 1);
  }

  /** Up to `limit` entries with an id after `afterId`, oldest first. */
  after(afterId: string, limit: number): HistoryEntry[] {
    const result: HistoryEntry[] = [];
    for (let i = this.firstAfter(afterId); i < this.count && result.length < limit; i += 1) {
      result.push(this.at(i));
    }
    return result;
  }

  /** Position of the first entry whose id is after `afterId` (binary search). */
  private firstAfter(afterId: string): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareStreamIds(this.at(middle).id, afterId) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private at(position: number): HistoryEntry {
    return this.slots[(this.start + position) % this.capacity] as HistoryEntry;
  }
}
