// One channel this gateway is subscribed to: its local subscribers and the last event delivered.
// Delivery is strictly in id order and exactly once per gateway: a live message whose `prev` is
// not the last delivered id means something was missed (a Redis blip, a reconnect), so the channel
// holds live messages, reads the gap from history, then releases what it held.
import { compareParts, parseLiveMessage, parseStreamId, ZERO_ID, type StreamIdParts } from '@sse-gateway/publisher/protocol';
import type { Bus } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Connection } from '../sse/connection';
import { channelHash, type ChannelHash } from '../sse/cursor';
import type { Frame } from '../sse/frame';
import { gapNotice, itemFromHistory, itemFromLive, sharedFrame, type EventItem, type Item } from './items';

/** A connection's membership in a channel. */
export interface Subscriber {
  readonly connection: Connection;
  /** The channel's index in the connection's channel list. */
  readonly index: number;
  /** While the connection replays history, live items wait here. */
  pending: Item[] | undefined;
  /** Skip live events up to here: the client already has them (it resumed from a gateway that was ahead). */
  floor: StreamIdParts | undefined;
}

export interface ChannelDeps {
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  /** Entries per history read. */
  pageSize: number;
}

/** Pause before a failed catch-up is tried again. */
const CATCH_UP_RETRY_MS = 1000;

/** Live messages held while resyncing; past this the backlog is re-read from history instead. */
const MAX_HELD = 10000;

export class Channel {
  readonly hash: ChannelHash;
  readonly subscribers = new Set<Subscriber>();
  /** The last event delivered (or, before any, the stream's head when subscribed). */
  lastId = ZERO_ID;
  lastParts: StreamIdParts = { ms: 0, seq: 0 };
  /** Settles once subscribed and the starting position is known. */
  readonly ready: Promise<void>;
  /** Live messages are held (not delivered) while true. */
  private syncing = true;
  /** A start or catch-up is running; a resync request meanwhile runs one more round after it. */
  private running = true;
  private again = false;
  private held: EventItem[] = [];
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private heldOverflow = false;

  constructor(
    readonly name: string,
    private readonly deps: ChannelDeps,
  ) {
    this.hash = channelHash(name);
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    try {
      await this.deps.bus.subscribe(this.name, this.onRaw);
      const head = await this.deps.bus.head(this.name);
      if (head !== undefined) this.advance(head);
    } catch (error) {
      this.running = false;
      throw error;
    }
    this.finishSync();
  }

  private readonly onRaw = (raw: Buffer): void => {
    const parsed = parseLiveMessage(raw, this.name);
    if (!parsed.ok) {
      this.deps.metrics.eventsDropped.inc({ reason: parsed.reason });
      this.deps.logger.warn('dropped a bus message that is not a valid envelope', { channel: this.name, reason: parsed.reason, bytes: raw.length });
      return;
    }
    const message = parsed.message;
    if (this.syncing) return this.hold(itemFromLive(message));
    if (compareParts(message.idParts, this.lastParts) <= 0) return; // already delivered (replayed or backfilled)
    if (message.prev !== this.lastId) {
      this.hold(itemFromLive(message));
      void this.resync();
      return;
    }
    this.deliver(itemFromLive(message));
  };

  private hold(item: EventItem): void {
    if (this.held.length >= MAX_HELD) {
      this.held = [];
      this.heldOverflow = true;
    }
    // A live envelope is a view into the Redis client's read chunk: copy what is kept for a while.
    if (!this.heldOverflow) this.held.push({ ...item, envelope: Buffer.from(item.envelope) });
  }

  /**
   * Catches up from history after the last delivered id (after a reconnect, or a missed message),
   * telling subscribers about a gap when history no longer reaches back.
   */
  async resync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.syncing = true;
    try {
      do {
        this.again = false;
        this.heldOverflow = false;
        await this.catchUp();
      } while (this.again || this.heldOverflow);
    } catch (error) {
      // Keep holding: what is held may follow events not read yet. Events may also be waiting in
      // history with no live message coming to reveal them, so try again after a pause.
      this.running = false;
      this.deps.logger.warn('channel catch-up failed; retrying', { channel: this.name, error: (error as Error).message });
      this.retryLater();
      return;
    }
    this.finishSync();
  }

  /** Stops retries; the hub calls it when the last subscriber left. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) void this.resync();
    }, CATCH_UP_RETRY_MS);
    this.retryTimer.unref();
  }

  private async catchUp(): Promise<void> {
    const { bus, pageSize } = this.deps;
    let first = true;
    for (;;) {
      const page = await bus.history(this.name, this.lastId, pageSize);
      const head = page[0];
      if (first && head !== undefined && head.prev !== this.lastId) {
        this.deps.metrics.gaps.inc();
        this.deliver(gapNotice(this.name, this.lastId, head.id));
      }
      first = false;
      for (const entry of page) {
        const item = itemFromHistory(entry);
        if (item === undefined) this.deps.metrics.eventsDropped.inc({ reason: 'invalid_envelope' });
        else if (compareParts(item.idParts, this.lastParts) > 0) this.deliver(item);
      }
      if (page.length < pageSize) return;
    }
  }

  /** Ends a sync: delivers held live messages newer than the last delivered, in order. */
  private finishSync(): void {
    const held = this.held;
    this.held = [];
    this.syncing = false;
    this.running = false;
    for (const item of held) if (compareParts(item.idParts, this.lastParts) > 0) this.deliver(item);
    if (this.again) void this.resync();
  }

  private advance(id: string): void {
    const parts = parseStreamId(id);
    if (parts === undefined) return;
    this.lastId = id;
    this.lastParts = parts;
  }

  /** Writes `item` to every subscriber: one shared frame for single-channel connections. */
  deliver(item: Item): void {
    let shared: Frame | undefined;
    let written = 0;
    if (item.kind === 'event') {
      this.lastId = item.id;
      this.lastParts = item.idParts;
    }
    for (const sub of this.subscribers) {
      if (sub.pending !== undefined) {
        sub.pending.push(item);
        continue;
      }
      const connection = sub.connection;
      if (item.kind === 'notice') {
        connection.sendNotice(item);
        continue;
      }
      if (sub.floor !== undefined) {
        if (compareParts(item.idParts, sub.floor) <= 0) continue;
        sub.floor = undefined;
      }
      if (connection.singleChannel) shared ??= sharedFrame(this.hash, item);
      connection.sendEvent(sub.index, item.idParts, item, shared);
      written++;
    }
    if (written > 0 && item.kind === 'event') {
      this.deps.metrics.eventsDelivered.inc(written);
      const latencyMs = Date.now() - Date.parse(item.time);
      if (latencyMs >= 0) this.deps.metrics.deliveryLatency.observe(latencyMs / 1000);
    }
  }
}
