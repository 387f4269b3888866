// The in-memory bus's idempotency keys: which id each (channel, key) produced, until the TTL of
// the event that wrote it (the SDK's automatic keys 600 s, an HTTP caller's any TTL up to
// IDEMPOTENCY_TTL_S). Entries of one TTL expire in the order they were written, so each TTL gets
// its own ExpiryOrderedMap: a write sweeps the expired front of each, and past the hard cap (memory
// bounded whatever the clients send) the entry closest to expiry goes, never a longer-lived key
// that merely was written earlier.
import { ExpiryOrderedMap } from './expiry-ordered-map';

export class RememberedKeys {
  /** By TTL in ms; a TTL without entries has no map. */
  private readonly byTtl = new Map<number, ExpiryOrderedMap<string>>();
  /** The TTL whose map holds each entry. */
  private readonly ttlOf = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** The id `key` produced on `channel`, while it is remembered. */
  find(channel: string, key: string, now: number): string | undefined {
    const name = entryName(channel, key);
    const ttlMs = this.ttlOf.get(name);
    return ttlMs === undefined ? undefined : this.byTtl.get(ttlMs)?.get(name, now);
  }

  remember(channel: string, key: string, id: string, ttlMs: number, now: number): void {
    this.sweep(now);
    const name = entryName(channel, key);
    this.forget(name);
    this.mapOf(ttlMs).set(name, id, ttlMs, now);
    this.ttlOf.set(name, ttlMs);
    // Over the cap a live key is forgotten early: a repeat of it would be stored again.
    if (this.ttlOf.size > this.maxEntries) this.forgetClosestToExpiry();
  }

  clear(): void {
    this.byTtl.clear();
    this.ttlOf.clear();
  }

  private sweep(now: number): void {
    for (const [ttlMs, entries] of this.byTtl) {
      entries.sweep(now);
      if (entries.size === 0) this.byTtl.delete(ttlMs);
    }
  }

  private mapOf(ttlMs: number): ExpiryOrderedMap<string> {
    let entries = this.byTtl.get(ttlMs);
    if (entries === undefined) {
      entries = new ExpiryOrderedMap<string>((name) => this.ttlOf.delete(name));
      this.byTtl.set(ttlMs, entries);
    }
    return entries;
  }

  private forget(name: string): void {
    const ttlMs = this.ttlOf.get(name);
    if (ttlMs === undefined) return;
    this.ttlOf.delete(name);
    const entries = this.byTtl.get(ttlMs);
    entries?.delete(name);
    if (entries?.size === 0) this.byTtl.delete(ttlMs);
  }

  private forgetClosestToExpiry(): void {
    let closest: ExpiryOrderedMap<string> | undefined;
    for (const entries of this.byTtl.values()) {
      if (closest === undefined || entries.nextExpiry() < closest.nextExpiry()) closest = entries;
    }
    const name = closest?.deleteOldest();
    if (name !== undefined) this.forget(name);
  }
}

// A channel name never contains a line break, so the pair is unambiguous.
function entryName(channel: string, key: string): string {
  return `${channel}\n${key}`;
}
