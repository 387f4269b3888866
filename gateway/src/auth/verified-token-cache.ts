// A bounded memory of tokens already verified, so a reconnect storm (every browser of a page
// reconnecting with the same token) costs a Map lookup instead of a signature check each.
// Entries leave at the token's expiry, after `maxAgeMs` (so a key removed from a JWKS stops
// being honoured soon), or as the least recently used when the cache is full.
import type { Claims } from './claims';

interface Entry {
  claims: Claims;
  /** Epoch ms after which the entry must not be used. */
  until: number;
}

export class VerifiedTokenCache {
  // A Map iterates in insertion order; re-inserting on every hit makes the first key the LRU one.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  get(token: string, now: number): Claims | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    if (now >= entry.until) return undefined;
    this.entries.set(token, entry);
    return entry.claims;
  }

  set(token: string, claims: Claims, now: number): void {
    if (this.maxEntries <= 0) return;
    const until = Math.min(claims.expiresAt ?? Number.POSITIVE_INFINITY, now + this.maxAgeMs);
    if (until <= now) return;
    this.entries.delete(token);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims, until });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
