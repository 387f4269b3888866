// The seam between the gateway and its message store: Redis (standalone or Cluster) or the
// embedded in-memory bus. The gateway never knows which one it runs on.
import type { HistoryEntry, PreparedEvent, RetainedEvent, StoreResult } from '@sse-gateway/publisher/protocol';

export type { HistoryEntry, RetainedEvent };

/** The ids of published events in order, and the indexes of those that were duplicates (nothing stored). */
export type PublishResult = StoreResult;

/** Receives each raw live message of a subscribed channel: `<prev id> <envelope JSON>`. */
export type LiveHandler = (raw: Buffer) => void;

/** `true` when connected and every subscription is active again; `false` when the connection is lost. */
export type StatusListener = (connected: boolean) => void;

export interface Bus {
  /** What the first log line says about it, e.g. "in-memory bus (single instance)". Never a password. */
  readonly description: string;
  /** Connected, and every wanted subscription active. */
  readonly connected: boolean;
  /**
   * Starts delivering `channel`'s live messages to `handler` (one handler per channel). Resolves
   * once the subscription is active: every message published afterwards is delivered. After a
   * connection loss the bus resubscribes by itself and then reports `true` to status listeners.
   */
  subscribe(channel: string, handler: LiveHandler): Promise<void>;
  /** Stops delivering `channel`; the server-side subscription is dropped. */
  unsubscribe(channel: string): Promise<void>;
  /**
   * Stores and announces validated events (the publish script, or its in-memory equivalent); ids
   * in order. An event whose idempotency key the channel remembers is neither stored nor
   * announced: its id is the first event's and its index is in `duplicates`. A retained event is
   * also kept as the channel's latest of its type.
   */
  publish(events: readonly PreparedEvent[]): Promise<PublishResult>;
  /** Up to `limit` retained entries of `channel` after `afterId` (exclusive), oldest first. */
  history(channel: string, afterId: string, limit: number): Promise<HistoryEntry[]>;
  /** The channel's retained events (the latest retained event of each type), by id ascending. */
  state(channel: string): Promise<RetainedEvent[]>;
  /** The id of the newest retained entry of `channel`, or undefined when nothing is retained. */
  head(channel: string): Promise<string | undefined>;
  onStatus(listener: StatusListener): void;
  /** Closes every connection and timer of the bus. */
  close(): Promise<void>;
}
