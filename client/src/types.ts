// The client's public types: options, the stream, envelopes typed by their schema.
import type { BundledEventMap, GatewayGap } from './bundled-events.js';
import type { StreamError } from './errors.js';

/** `data` by event type, for the types a stream may receive. */
export type EventMap = Record<string, unknown>;

/** The bundled event types (the gateway's own `gateway.*` control events are handled by the client). */
export type BundledEvents = Omit<BundledEventMap, `gateway.${string}`>;

/** What every event carries: the envelope as published, `data` typed by the schema of `type`. */
export interface Envelope<T extends string = string, D = unknown> {
  /** The event's id in its channel (`<ms>-<seq>`), increasing within the channel. */
  id: string;
  channel: string;
  type: T;
  /** When it was published, ISO-8601 UTC. */
  time: string;
  data: D;
}

/** `gateway.gap`: events of `channel` between `lastEventId` and `earliestId` are gone; reload that channel's state. */
export type Gap = GatewayGap;

/** `connecting` until the first stream opens; `reconnecting` between two streams; `closed` for good. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectOptions {
  /** The gateway (or its load balancer), e.g. `https://rt.example.com`; `/v1/stream` is added. */
  url: string;
  /** Channels to follow, e.g. `['execution:42']`. */
  channels: readonly string[];
  /**
   * Returns a JWT that may subscribe to the channels. Called at start, shortly before the token's
   * `exp`, and once after the gateway refused one. A rejection closes the stream with an
   * `unauthorized` error: retry transient failures inside it.
   */
  token: () => Promise<string> | string;
  /** Where to start: a saved `cursor`, or `'earliest'` for everything retained. @default live from now */
  lastEventId?: string;
  /** One connection per browser for the same url + channels, held by one tab and relayed to the others. @default false */
  share?: boolean;
  /** Ask for the channels' retained events first (`state=1`). @default false */
  state?: boolean;
  /** The gateway's `HEARTBEAT_MS`: after three periods without an answer or a byte the stream is reopened. @default 15000 */
  heartbeatMs?: number;
  /** `fetch` streaming (Authorization header), or `EventSource` (cookie or `access_token`). @default 'fetch' where the browser streams fetch bodies */
  transport?: 'fetch' | 'eventsource';
  /** Largest event the client buffers, in characters; a larger one reopens the stream. @default 1048576 */
  maxEventLength?: number;
}

/** The stream's own notifications, beside the events. */
export interface StreamNotifications {
  gap: Gap;
  state: StreamState;
  error: StreamError;
}

export interface Stream<M extends EventMap = BundledEvents> {
  /** The current state. */
  readonly state: StreamState;
  /** The cursor of the last event received: save it, and pass it as `lastEventId` to resume later. */
  readonly cursor: string | undefined;
  /** `gap`, `state` and `error`: the stream's own notifications (these names are never event types). */
  on<K extends keyof StreamNotifications>(type: K, handler: (value: StreamNotifications[K]) => void): () => void;
  /** Calls `handler` with every event of `type`. Returns a function that removes it. */
  on<K extends keyof M & string>(type: K, handler: (event: Envelope<K, M[K]>) => void): () => void;
  /** Stops for good (state `closed`). */
  close(): void;
}
