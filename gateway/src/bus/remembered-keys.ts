// The in-memory bus's idempotency keys: which id each (channel, key) produced, until its TTL.
// Entries are kept in insertion order; with one TTL for all (the gateway's IDEMPOTENCY_TTL_S) that
// is also the order of expiry, so expired entries are swept from the front, amortised O(1) per
// write, without a timer. A hard cap bounds the memory whatever the clients send.
export class RememberedKeys {
  private readonly entries = new Map<string, { id: string; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  /** The id `key` produced on `channel`, while it is remembered. */
  find(channel: string, key: string, now: number): string | undefined {
    const entry = this.entries.get(entryName(channel, key));
    return entry !== undefined && entry.expiresAt > now ? entry.id : undefined;
  }

  remember(channel: string, key: string, id: string, ttlMs: number, now: number): void {
    this.sweep(now);
    const name = entryName(channel, key);
    this.entries.delete(name);
    this.entries.set(name, { id, expiresAt: now + ttlMs });
    // Over the cap the oldest key is forgotten early: a repeat of it would be stored again.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    for (const [name, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(name);
    }
  }
}

// A channel name never contains a line break, so the pair is unambiguous.
function entryName(channel: string, key: string): string {
  return `${channel}\n${key}`;
}
