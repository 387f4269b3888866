// The embedded bus for a single gateway without Redis: each channel's history is a bounded ring
// in memory and a publish calls the channel's handler synchronously, with the same bytes the
// Redis publish script would announce. Synchronous delivery lets unit tests run without timers.
import {
  compareStreamIds,
  DEFAULT_IDEMPOTENCY_TTL_S,
  DEFAULT_STATE_TTL_S,
  envelopeJson,
  ZERO_ID,
  type PreparedEvent,
} from '@sse-gateway/publisher/protocol';
import type { Bus, HistoryEntry, LiveHandler, PublishResult, RetainedEvent, StatusListener } from './bus';
import { ExpiryOrderedMap } from './expiry-ordered-map';
import { HistoryRing } from './history-ring';
import { RememberedKeys } from './remembered-keys';
import { RetainedState } from './retained-state';

/** Idempotency keys the in-memory bus remembers at most (~200 bytes each); those closest to expiry go first. */
const MEMORY_BUS_MAX_KEYS = 100000;

export interface MemoryBusOptions {
  /** Entries kept per channel (`HISTORY_MAXLEN`), trimmed exactly. */
  historyMaxLen: number;
  /** Seconds a channel's history lives after its last event (`HISTORY_TTL_S`). */
  historyTtlS: number;
  /** Seconds an idempotency key is remembered per channel (`IDEMPOTENCY_TTL_S`). @default 86400 */
  idempotencyTtlS?: number;
  /** Seconds a channel's retained state lives after its last retained event (`STATE_TTL_S`). @default 604800 */
  stateTtlS?: number;
  /** Milliseconds since 1970. @default Date.now */
  now?: () => number;
  /** Called with an error thrown by a live handler (it never reaches the publisher). */
  onError?: (error: Error) => void;
}

interface ChannelState {
  readonly ring: HistoryRing;
  lastMs: number;
  lastSeq: number;
}

export class MemoryBus implements Bus {
  readonly description = 'in-memory bus (single instance)';
  private readonly handlers = new Map<string, LiveHandler>();
  /** Each lives `historyTtlS` after its last publish. */
  private readonly channels = new ExpiryOrderedMap<ChannelState>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly keyTtlMs: number;
  private readonly keys = new RememberedKeys(MEMORY_BUS_MAX_KEYS);
  private readonly retained: RetainedState;
  private closed = false;

  constructor(private readonly options: MemoryBusOptions) {
    if (!Number.isSafeInteger(options.historyMaxLen) || options.historyMaxLen < 1) {
      throw new RangeError(`historyMaxLen must be a positive integer, got ${options.historyMaxLen}`);
    }
    if (!(options.historyTtlS > 0)) throw new RangeError(`historyTtlS must be positive, got ${options.historyTtlS}`);
    this.now = options.now ?? Date.now;
    this.ttlMs = options.historyTtlS * 1000;
    this.keyTtlMs = (options.idempotencyTtlS ?? DEFAULT_IDEMPOTENCY_TTL_S) * 1000;
    this.retained = new RetainedState((options.stateTtlS ?? DEFAULT_STATE_TTL_S) * 1000);
  }

  get connected(): boolean {
    return !this.closed;
  }

  subscribe(channel: string, handler: LiveHandler): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the in-memory bus is closed'));
    this.handlers.set(channel, handler);
    return Promise.resolve();
  }

  unsubscribe(channel: string): Promise<void> {
    this.handlers.delete(channel);
    return Promise.resolve();
  }

  /** Stores every event, then delivers it synchronously before the promise is returned. */
  publish(events: readonly PreparedEvent[]): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new Error('the in-memory bus is closed'));
    const now = this.now();
    this.channels.sweep(now);
    const ids: string[] = [];
    const duplicates: number[] = [];
    events.forEach((event, index) => {
      const known = event.idempotencyKey === undefined ? undefined : this.keys.find(event.channel, event.idempotencyKey, now);
      if (known !== undefined) duplicates.push(index);
      ids.push(known ?? this.publishOne(event, now));
    });
    return Promise.resolve({ ids, duplicates });
  }

  history(channel: string, afterId: string, limit: number): Promise<HistoryEntry[]> {
    try {
      compareStreamIds(afterId, ZERO_ID); // refuses a malformed id, as XRANGE would
      return Promise.resolve(this.live(channel)?.ring.after(afterId, limit) ?? []);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  state(channel: string): Promise<RetainedEvent[]> {
    return Promise.resolve(this.retained.of(channel, this.now()));
  }

  head(channel: string): Promise<string | undefined> {
    return Promise.resolve(this.live(channel)?.ring.last()?.id);
  }

  /** Always connected: there is nothing to lose. */
  onStatus(_listener: StatusListener): void {}

  close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.channels.clear();
    this.keys.clear();
    this.retained.clear();
    return Promise.resolve();
  }

  private publishOne(event: PreparedEvent, now: number): string {
    const state = this.channels.get(event.channel, now) ?? newChannelState(this.options.historyMaxLen);
    // Like XADD *: the clock, but never behind the channel's last id.
    const ms = Math.max(now, state.lastMs);
    state.lastSeq = ms === state.lastMs ? state.lastSeq + 1 : 0;
    state.lastMs = ms;
    const id = `${ms}-${state.lastSeq}`;
    const prev = state.ring.last()?.id ?? ZERO_ID;
    const envelope = envelopeJson(id, event.body);
    state.ring.push({ id, prev, envelope });
    this.channels.set(event.channel, state, this.ttlMs, now);
    if (event.idempotencyKey !== undefined) {
      const keyTtlMs = event.idempotencyTtlS !== undefined ? event.idempotencyTtlS * 1000 : this.keyTtlMs;
      this.keys.remember(event.channel, event.idempotencyKey, id, keyTtlMs, now);
    }
    if (event.retain) this.retained.retain(event.channel, event.type, { id, envelope }, now);
    this.deliver(event.channel, `${prev} ${envelope}`);
    return id;
  }

  private deliver(channel: string, message: string): void {
    const handler = this.handlers.get(channel);
    if (handler === undefined) return;
    try {
      handler(Buffer.from(message));
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  /** The channel's state, or undefined when it has none or it expired (forgotten at the next publish). */
  private live(channel: string): ChannelState | undefined {
    return this.channels.get(channel, this.now());
  }
}

function newChannelState(capacity: number): ChannelState {
  // Starting at 0-0 makes the first id at least 0-1: 0-0 means "before the first event".
  return { ring: new HistoryRing(capacity), lastMs: 0, lastSeq: 0 };
}
