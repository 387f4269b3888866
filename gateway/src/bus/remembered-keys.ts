// The in-memory bus's idempotency keys: which id each (channel, key) produced, until its TTL (the
// gateway's IDEMPOTENCY_TTL_S, one for all, so the entries expire in the order they were written).
// A hard cap bounds the memory whatever the clients send.
import { ExpiryOrderedMap } from './expiry-ordered-map';

export class RememberedKeys {
  private readonly entries = new ExpiryOrderedMap<string>();

  constructor(private readonly maxEntries: number) {}

  /** The id `key` produced on `channel`, while it is remembered. */
  find(channel: string, key: string, now: number): string | undefined {
    return this.entries.get(entryName(channel, key), now);
  }

  remember(channel: string, key: string, id: string, ttlMs: number, now: number): void {
    this.entries.set(entryName(channel, key), id, ttlMs, now);
    // Over the cap the oldest key is forgotten early: a repeat of it would be stored again.
    if (this.entries.size > this.maxEntries) this.entries.deleteOldest();
  }

  clear(): void {
    this.entries.clear();
  }
}

// A channel name never contains a line break, so the pair is unambiguous.
function entryName(channel: string, key: string): string {
  return `${channel}\n${key}`;
}
