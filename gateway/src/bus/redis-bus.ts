// The bus on Redis, standalone or Cluster. Two clients: one for commands (publish script, XRANGE,
// XREVRANGE; auto-pipelined) and one dedicated to subscriptions, holding only the channels local
// clients want. Both reconnect by themselves; `connected` is true only when both are ready and
// every wanted channel is subscribed again, and status listeners hear every change.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import {
  compareStreamIds,
  createKeyspace,
  DEFAULT_IDEMPOTENCY_TTL_S,
  DEFAULT_STATE_TTL_S,
  historyEntryOf,
  REFUSE_WHEN_DISCONNECTED,
  retainedEventOf,
  storeEvents,
  type HistoryEntry,
  type Keyspace,
  type PreparedEvent,
  type RetainedEvent,
} from '@sse-gateway/publisher/protocol';
import type { Bus, LiveHandler, PublishResult, StatusListener } from './bus';
import type { RedisSetting } from '../config';
import { LiveSubscriptions } from './live-subscriptions';
import { closeClient, clusterLink, standaloneLink, type PubSubLink } from './pubsub-link';

type RedisTarget = Exclude<RedisSetting, { mode: 'memory' }>;

export interface RedisBusOptions {
  /** Prefix of every key and pub/sub channel. @default 'sse' */
  keyPrefix?: string;
  /** Entries kept per channel by `publish`. */
  historyMaxLen: number;
  /** Seconds a channel's history lives after its last event, for `publish`. */
  historyTtlS: number;
  /** Seconds an idempotency key is remembered per channel, for `publish`. @default 86400 */
  idempotencyTtlS?: number;
  /** Seconds a channel's retained state lives after its last retained event, for `publish`. @default 604800 */
  stateTtlS?: number;
  /** A command without an answer after this long is rejected. @default 5000 */
  commandTimeoutMs?: number;
  /** Connection errors and errors thrown by live handlers; they never reach the process. */
  onError?: (error: Error) => void;
}

type Client = Redis | Cluster;

/** How long a closing socket may take to end gracefully before it is destroyed. */
const DISCONNECT_TIMEOUT_MS = 200;
/** Default of `commandTimeoutMs`. */
const COMMAND_TIMEOUT_MS = 5000;
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisBus implements Bus {
  readonly description: string;
  private readonly keyspace: Keyspace;
  private readonly commands: Client;
  private readonly subscriber: Client;
  private readonly subscriptions: LiveSubscriptions;
  private readonly listeners = new Set<StatusListener>();
  private readonly commandTimeoutMs: number;
  private reported = false;
  private closed = false;

  constructor(target: RedisTarget, private readonly options: RedisBusOptions) {
    this.keyspace = createKeyspace(options.keyPrefix);
    this.commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    const onError = (error: Error): void => options.onError?.(error);
    let link: PubSubLink;
    if (target.mode === 'standalone') {
      this.commands = new Redis(target.url, this.commandOptions());
      const subscriber = new Redis(target.url, this.subscriberOptions());
      this.subscriber = subscriber;
      link = standaloneLink(subscriber);
      const { host, port, db } = this.commands.options;
      this.description = `Redis ${host ?? '127.0.0.1'}:${port ?? 6379}/${db ?? 0}`;
    } else {
      this.commands = new Cluster(target.nodes, this.clusterCommandOptions());
      const subscriber = new Cluster(target.nodes, this.clusterSubscriberOptions());
      this.subscriber = subscriber;
      link = clusterLink(subscriber);
      this.description = `Redis Cluster (${target.nodes.length} seed node${target.nodes.length === 1 ? '' : 's'})`;
    }
    for (const client of [this.commands, this.subscriber]) client.on('error', onError);
    for (const event of ['ready', 'close', 'end', 'reconnecting']) this.commands.on(event, () => this.refreshStatus());
    this.subscriptions = new LiveSubscriptions(link, () => this.refreshStatus(), onError);
  }

  get connected(): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriptions.inSync;
  }

  subscribe(channel: string, handler: LiveHandler): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the Redis bus is closed'));
    return this.subscriptions.subscribe(this.keyspace.liveChannel(channel), handler);
  }

  /** Never rejects: while Redis is unreachable the subscription is dropped once it is back. */
  unsubscribe(channel: string): Promise<void> {
    return this.subscriptions.unsubscribe(this.keyspace.liveChannel(channel));
  }

  publish(events: readonly PreparedEvent[]): Promise<PublishResult> {
    const { keyspace, options } = this;
    return storeEvents(this.commands, events, {
      keyspace,
      historyMaxLen: options.historyMaxLen,
      historyTtlS: options.historyTtlS,
      idempotencyTtlS: options.idempotencyTtlS ?? DEFAULT_IDEMPOTENCY_TTL_S,
      stateTtlS: options.stateTtlS ?? DEFAULT_STATE_TTL_S,
    });
  }

  async state(channel: string): Promise<RetainedEvent[]> {
    const values = Object.values(await this.commands.hgetall(this.keyspace.stateKey(channel)));
    const events = values.map(retainedEventOf).filter((event): event is RetainedEvent => event !== undefined);
    return events.sort((a, b) => compareStreamIds(a.id, b.id));
  }

  async history(channel: string, afterId: string, limit: number): Promise<HistoryEntry[]> {
    if (limit < 1) return [];
    const entries = await this.commands.xrange(this.keyspace.historyKey(channel), `(${afterId}`, '+', 'COUNT', limit);
    const result: HistoryEntry[] = [];
    for (const [id, fields] of entries) {
      const entry = historyEntryOf(id, fields);
      if (entry !== undefined) result.push(entry);
    }
    return result;
  }

  async head(channel: string): Promise<string | undefined> {
    const [newest] = await this.commands.xrevrange(this.keyspace.historyKey(channel), '+', '-', 'COUNT', 1);
    return newest?.[0];
  }

  onStatus(listener: StatusListener): void {
    this.listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.subscriptions.close();
    await Promise.all([closeClient(this.commands), closeClient(this.subscriber)]);
    this.commands.removeAllListeners();
    this.subscriber.removeAllListeners();
  }

  /** Tells listeners when `connected` changed. */
  private refreshStatus(): void {
    const connected = this.connected;
    if (connected === this.reported) return;
    this.reported = connected;
    for (const listener of this.listeners) listener(connected);
  }

  /** Reconnect forever, backing off to at most MAX_RECONNECT_DELAY_MS. */
  private retryDelay = (attempt: number): number =>
    Math.min(50 * 2 ** Math.min(attempt - 1, 16), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100);

  private baseOptions(): RedisOptions {
    // disconnectTimeout: ioredis arms it even when close() finds the socket already gone.
    return { commandTimeout: this.commandTimeoutMs, retryStrategy: this.retryDelay, disconnectTimeout: DISCONNECT_TIMEOUT_MS };
  }

  /** Commands are sent on a ready connection or refused at once (see REFUSE_WHEN_DISCONNECTED). */
  private commandOptions(): RedisOptions {
    return { ...this.baseOptions(), ...REFUSE_WHEN_DISCONNECTED, enableAutoPipelining: true };
  }

  /**
   * (Un)subscribe commands wait for a reconnect (bounded by the command timeout). Resubscribing is
   * done by LiveSubscriptions, not ioredis, so it knows when every channel is back.
   */
  private subscriberOptions(): RedisOptions {
    return { ...this.baseOptions(), autoResubscribe: false, maxRetriesPerRequest: null, connectionName: 'sse-gateway-subscriber' };
  }

  private clusterCommandOptions(): ClusterOptions {
    // Node connections keep their offline queue: a Cluster connects to nodes lazily through it.
    return {
      clusterRetryStrategy: this.retryDelay,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      redisOptions: { commandTimeout: this.commandTimeoutMs, disconnectTimeout: DISCONNECT_TIMEOUT_MS },
    };
  }

  private clusterSubscriberOptions(): ClusterOptions {
    return {
      clusterRetryStrategy: this.retryDelay,
      shardedSubscribers: true,
      redisOptions: { commandTimeout: this.commandTimeoutMs, disconnectTimeout: DISCONNECT_TIMEOUT_MS, autoResubscribe: false, connectionName: 'sse-gateway-subscriber' },
    };
  }
}
