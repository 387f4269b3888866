// A Map kept in the order its entries expire, for the in-memory bus's TTLs. With one TTL for every
// entry of a map, the order of the last writes is the order of expiry: a write moves its entry to
// the end, and expired entries are swept from the front, amortised O(1) per write, without a timer.
export class ExpiryOrderedMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

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

  /** Forgets the entry closest to expiry. */
  deleteOldest(): void {
    const oldest = this.entries.keys().next();
    if (oldest.done !== true) this.entries.delete(oldest.value);
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
