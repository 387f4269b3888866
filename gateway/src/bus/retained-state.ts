// The in-memory bus's retained state: per channel, the latest retained event of each type, kept
// until `ttlMs` after the channel's last retained write. Channels are kept in order of last write
// (with one TTL, the order of expiry), so expired ones are swept from the front without a timer.
import { compareStreamIds, type RetainedEvent } from '@sse-gateway/publisher/protocol';

interface ChannelState {
  readonly byType: Map<string, RetainedEvent>;
  expiresAt: number;
}

export class RetainedState {
  private readonly channels = new Map<string, ChannelState>();

  constructor(private readonly ttlMs: number) {}

  retain(channel: string, type: string, event: RetainedEvent, now: number): void {
    this.sweep(now);
    const state = this.channels.get(channel) ?? { byType: new Map<string, RetainedEvent>(), expiresAt: 0 };
    state.byType.set(type, event);
    state.expiresAt = now + this.ttlMs;
    this.channels.delete(channel);
    this.channels.set(channel, state);
  }

  /** The channel's retained events by id ascending, none once expired. */
  of(channel: string, now: number): RetainedEvent[] {
    const state = this.channels.get(channel);
    if (state === undefined || state.expiresAt <= now) return [];
    return [...state.byType.values()].sort((a, b) => compareStreamIds(a.id, b.id));
  }

  clear(): void {
    this.channels.clear();
  }

  private sweep(now: number): void {
    for (const [channel, state] of this.channels) {
      if (state.expiresAt > now) return;
      this.channels.delete(channel);
    }
  }
}
