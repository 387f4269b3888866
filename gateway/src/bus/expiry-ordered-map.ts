// A Map kept in the order its entries expire, for the in-memory bus's TTLs. With one TTL for every
// entry of a map, the order of the last writes is the order of expiry: a write moves its entry to
// the end, and expired entries are swept from the front, amortised O(1) per write, without a timer.
// Entries with TTLs of their own need one map per TTL (see remembered-keys.ts).
export class ExpiryOrderedMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  /** `onExpired` hears of each key the sweep forgets, for an owner that indexes the keys. */
  constructor(private readonly onExpired?: (key: string) => void) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value of `key`, while it lives. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry.value : undefined;
  }

  /** Sweeps what expired, then sets `key` to live `ttlMs` from `now` (the map's one TTL). */
  set(key: string, value: V, ttlMs: number, now: number): void {
    this.sweep(now);
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** When the entry closest to expiry expires; Infinity when there is none. */
  nextExpiry(): number {
    const oldest = this.entries.values().next();
    return oldest.done === true ? Infinity : oldest.value.expiresAt;
  }

  /** Forgets the entry closest to expiry; returns its key. */
  deleteOldest(): string | undefined {
    const oldest = this.entries.keys().next();
    if (oldest.done === true) return undefined;
    this.entries.delete(oldest.value);
    return oldest.value;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Forgets the entries expired at `now`, all at the front. */
  sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
      this.onExpired?.(key);
    }
  }
}
