// The registry of local connections per channel. A channel is subscribed on the bus while at
// least one local connection wants it (the last one leaving unsubscribes).
import type { Bus } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Connection } from '../sse/connection';
import { Channel, type Subscriber } from './channel';

export interface HubOptions {
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  /** History entries read per round trip (replay and catch-up). @default 500 */
  historyPageSize?: number;
}

export class Hub {
  readonly connections = new Set<Connection>();
  private readonly channels = new Map<string, Channel>();
  private readonly deps: Required<Pick<HubOptions, 'historyPageSize'>> & HubOptions;

  constructor(options: HubOptions) {
    this.deps = { historyPageSize: 500, ...options };
    options.metrics.busConnected.set(options.bus.connected ? 1 : 0);
    options.bus.onStatus(this.onBusStatus);
  }

  get bus(): Bus {
    return this.deps.bus;
  }

  get metrics(): Metrics {
    return this.deps.metrics;
  }

  get historyPageSize(): number {
    return this.deps.historyPageSize;
  }

  /** Channels currently subscribed on the bus. */
  get channelCount(): number {
    return this.channels.size;
  }

  channel(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /**
   * Adds `connection` to each of its channels with live items held (`pending`), and resolves once
   * every channel is subscribed and knows its position. On failure the connection is removed again.
   */
  async join(connection: Connection): Promise<Subscriber[]> {
    this.connections.add(connection);
    this.deps.metrics.connections.set(this.connections.size);
    const subscribers = connection.channels.map((name, index) => {
      const subscriber: Subscriber = { connection, index, pending: [], floor: undefined };
      this.channelFor(name).subscribers.add(subscriber);
      return subscriber;
    });
    try {
      await Promise.all(connection.channels.map((name) => (this.channels.get(name) as Channel).ready));
    } catch (error) {
      this.leave(connection, subscribers);
      throw error;
    }
    return subscribers;
  }

  /** Removes `connection` from its channels; unsubscribes channels nobody wants any more. */
  leave(connection: Connection, subscribers: readonly Subscriber[]): void {
    if (this.connections.delete(connection)) this.deps.metrics.connections.set(this.connections.size);
    for (const subscriber of subscribers) {
      const name = connection.channels[subscriber.index] as string;
      const channel = this.channels.get(name);
      if (channel === undefined || !channel.subscribers.delete(subscriber) || channel.subscribers.size > 0) continue;
      channel.close();
      this.channels.delete(name);
      this.deps.metrics.busSubscriptions.set(this.channels.size);
      this.deps.bus.unsubscribe(name).catch((error: unknown) => {
        this.deps.logger.warn('bus unsubscribe failed', { channel: name, error: (error as Error).message });
      });
    }
  }

  private channelFor(name: string): Channel {
    let channel = this.channels.get(name);
    if (channel === undefined) {
      channel = new Channel(name, { bus: this.deps.bus, metrics: this.deps.metrics, logger: this.deps.logger, pageSize: this.deps.historyPageSize });
      // A failed start is reported to the joining connections through `ready`.
      channel.ready.catch(() => this.dropIfBroken(name, channel as Channel));
      this.channels.set(name, channel);
      this.deps.metrics.busSubscriptions.set(this.channels.size);
    }
    return channel;
  }

  private dropIfBroken(name: string, channel: Channel): void {
    if (this.channels.get(name) !== channel) return;
    channel.close();
    this.channels.delete(name);
    this.deps.metrics.busSubscriptions.set(this.channels.size);
    this.deps.bus.unsubscribe(name).catch(() => undefined); // it may have subscribed before failing
  }

  /**
   * Resolves true once the bus is connected (at once when it is), false after `timeoutMs`: a client
   * arriving during a short Redis blip waits for it rather than getting a 503 (which makes a
   * browser's EventSource give up for good).
   */
  whenBusConnected(timeoutMs: number): Promise<boolean> {
    if (this.deps.bus.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (connected: boolean): void => {
        clearTimeout(timer);
        this.busWaiters.delete(waiter);
        resolve(connected);
      };
      const timer = setTimeout(() => waiter(false), timeoutMs);
      this.busWaiters.add(waiter);
    });
  }

  private readonly busWaiters = new Set<(connected: boolean) => void>();

  /** Releases anyone waiting for the bus (shutdown). */
  close(): void {
    for (const waiter of [...this.busWaiters]) waiter(false);
    for (const channel of this.channels.values()) channel.close();
  }

  private readonly onBusStatus = (connected: boolean): void => {
    if (connected) for (const waiter of [...this.busWaiters]) waiter(true);
    this.deps.metrics.busConnected.set(connected ? 1 : 0);
    this.deps.logger.info(connected ? 'bus connected' : 'bus disconnected', { channels: this.channels.size });
    if (!connected) return;
    // Events published while we were cut off are in the history streams: catch every channel up.
    for (const channel of this.channels.values()) void channel.resync();
  };
}
