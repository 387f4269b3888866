// The in-memory bus's retained state: per channel, the latest retained event of each type, kept
// until `ttlMs` after the channel's last retained write.
import { compareStreamIds, type RetainedEvent } from '@sse-gateway/publisher/protocol';
import { ExpiryOrderedMap } from './expiry-ordered-map';

export class RetainedState {
  /** Per channel, its retained events by type. */
  private readonly channels = new ExpiryOrderedMap<Map<string, RetainedEvent>>();

  constructor(private readonly ttlMs: number) {}

  retain(channel: string, type: string, event: RetainedEvent, now: number): void {
    const byType = this.channels.get(channel, now) ?? new Map<string, RetainedEvent>();
    byType.set(type, event);
    this.channels.set(channel, byType, this.ttlMs, now);
  }

  /** The channel's retained events by id ascending, none once expired. */
  of(channel: string, now: number): RetainedEvent[] {
    const byType = this.channels.get(channel, now);
    return byType === undefined ? [] : [...byType.values()].sort((a, b) => compareStreamIds(a.id, b.id));
  }

  clear(): void {
    this.channels.clear();
  }
}
