// The registry of this gateway's streams and channels. A channel is subscribed on the bus while at
// least one local stream wants it (the last one leaving unsubscribes). Each stream's life is owned
// by its Subscription; the hub gives it the shared parts (bus, admission, replay budget, expiry
// deadlines) and keeps the channel registry in step with it.
import type { Bus } from '../bus/bus';
import { Admission } from '../http/admission';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { CloseReason, Sink } from '../sse/connection';
import { Deadlines } from '../sse/deadlines';
import { Channel } from './channel';
import type { PageLimits } from './history-reader';
import type { BusWait, HubContext } from './hub-context';
import type { Membership } from './membership';
import { FairQuota } from './fair-quota';
import { Subscription, type StreamRequest } from './subscription';

export interface HubOptions {
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  maxConnections: number;
  maxConnectionsPerSubject: number;
  /** The `retry:` hint of every stream's opening block. */
  retryMs: number;
  /** `CLIENT_BUFFER_BYTES`: a stream's backlog limit. */
  clientBufferBytes: number;
  /** `HEARTBEAT_MS`: a replaying client that takes nothing for two periods is cut as slow. */
  heartbeatMs: number;
  /** `REPLAY_BUDGET_BYTES`: history held for replays at once, gateway-wide. */
  replayBudgetBytes: number;
  /** `PUBLISH_MAX_BYTES`: how large an event is expected to be at most. */
  maxEventBytes: number;
}

/** History entries read per round trip. */
const HISTORY_PAGE_SIZE = 500;
/** How long a new stream waits for a disconnected bus before it is refused with 503. */
const BUS_WAIT_MS = 3000;

/** A history page holds at most this many bytes (less with a small budget: 1/16 of it). */
const MAX_PAGE_BYTES = 256 * 1024;
const MIN_PAGE_BYTES = 16 * 1024;
const MIN_STALL_MS = 1000;
/** The wait of a stream arriving while the bus is connected (nearly all): nothing to cancel. */
const CONNECTED: BusWait = { connected: Promise.resolve(true), cancel: () => undefined };
/** What an envelope adds to an event's `{channel,type,data}` JSON: its id and time. */
const ENVELOPE_OVERHEAD = 256;
/**
 * Replay reads in flight at once. Each pipelined read is a page (up to 256 KB) Redis builds in one
 * go and the gateway parses in one go; 100 at once kept PING on another connection waiting seconds.
 */
const MAX_REPLAY_READS = 8;

export class Hub implements HubContext {
  /** Streams holding a slot, from admission to close. */
  readonly streams = new Set<Subscription>();
  readonly bus: Bus;
  readonly admission: Admission;
  readonly budget: FairQuota;
  readonly reads = new FairQuota(MAX_REPLAY_READS);
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly expiries = new Deadlines<Subscription>((subscription) => subscription.expire());
  readonly retryMs: number;
  readonly page: PageLimits;
  readonly pendingLimit: number;
  readonly writeAhead: number;
  readonly stallMs: number;
  draining = false;
  private readonly channels = new Map<string, Channel>();
  private readonly busWaiters = new Set<(connected: boolean) => void>();

  constructor(options: HubOptions) {
    this.bus = options.bus;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.admission = new Admission(options.maxConnections, options.maxConnectionsPerSubject);
    this.budget = new FairQuota(options.replayBudgetBytes);
    this.retryMs = options.retryMs;
    this.page = {
      count: HISTORY_PAGE_SIZE,
      bytes: Math.max(MIN_PAGE_BYTES, Math.min(MAX_PAGE_BYTES, Math.floor(options.replayBudgetBytes / 16))),
      entryBytes: options.maxEventBytes + ENVELOPE_OVERHEAD,
    };
    // A replay keeps at most a quarter of the client's buffer unsent, and holds at most half of it
    // in live items: released together after the replay, they still fit.
    this.writeAhead = Math.floor(options.clientBufferBytes / 4);
    this.pendingLimit = Math.floor(options.clientBufferBytes / 2);
    this.stallMs = Math.max(MIN_STALL_MS, 2 * options.heartbeatMs);
    this.metrics.busConnected.set(this.bus.connected ? 1 : 0);
    this.bus.onStatus(this.onBusStatus);
  }

  /** Takes a verified stream request to live; see Subscription.open. */
  attach(sink: Sink, request: StreamRequest): Promise<void> {
    return new Subscription(this, sink, request).open();
  }

  /** Channels currently subscribed on the bus. */
  get channelCount(): number {
    return this.channels.size;
  }

  join(name: string, membership: Membership): void {
    let channel = this.channels.get(name);
    if (channel === undefined) {
      const created = new Channel(name, { bus: this.bus, metrics: this.metrics, logger: this.logger, budget: this.budget, page: this.page });
      // A failed start is reported to the joining streams through `ready`.
      created.ready.catch(() => this.drop(name, created));
      this.channels.set(name, created);
      this.metrics.busSubscriptions.set(this.channels.size);
      channel = created;
    }
    channel.members.add(membership);
    membership.channel = channel;
  }

  leave(name: string, membership: Membership): void {
    const channel = this.channels.get(name);
    if (channel === undefined || !channel.members.delete(membership) || channel.members.size > 0) return;
    this.drop(name, channel);
  }

  private drop(name: string, channel: Channel): void {
    if (this.channels.get(name) !== channel) return;
    channel.close();
    this.channels.delete(name);
    this.metrics.busSubscriptions.set(this.channels.size);
    // Never rejects (the bus drops it once it is back); it may have subscribed before failing.
    void this.bus.unsubscribe(name);
  }

  admitted(subscription: Subscription): void {
    this.streams.add(subscription);
    this.metrics.connections.set(this.streams.size);
  }

  released(subscription: Subscription, reason: CloseReason): void {
    this.streams.delete(subscription);
    this.metrics.connections.set(this.streams.size);
    if (reason === 'slow') this.metrics.slowClientDisconnects.inc();
  }

  /**
   * A client arriving during a short Redis blip waits for it rather than getting a 503 (which
   * makes a browser's EventSource give up for good).
   */
  whenBusConnected(): BusWait {
    if (this.bus.connected) return CONNECTED;
    let waiter: ((connected: boolean) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const connected = new Promise<boolean>((resolve) => {
      waiter = (value) => {
        clearTimeout(timer);
        this.busWaiters.delete(waiter as (connected: boolean) => void);
        resolve(value);
      };
      timer = setTimeout(() => waiter?.(false), BUS_WAIT_MS);
      this.busWaiters.add(waiter);
    });
    // Settles the wait (false), so whoever awaits it goes on and sees why.
    return { connected, cancel: () => waiter?.(false) };
  }

  /** SIGTERM: new streams are refused from now on (open ones are ended by the caller). */
  drain(): void {
    this.draining = true;
  }

  /** Releases anyone waiting for the bus, stops every channel and deadline (shutdown). */
  close(): void {
    this.draining = true;
    for (const waiter of [...this.busWaiters]) waiter(false);
    for (const channel of this.channels.values()) channel.close();
    this.expiries.close();
  }

  private readonly onBusStatus = (connected: boolean): void => {
    if (connected) for (const waiter of [...this.busWaiters]) waiter(true);
    this.metrics.busConnected.set(connected ? 1 : 0);
    this.logger.info(connected ? 'bus connected' : 'bus disconnected', { channels: this.channels.size });
    // Events published while we were cut off are in the history streams: catch every channel up.
    if (connected) for (const channel of this.channels.values()) channel.resync();
  };
}
