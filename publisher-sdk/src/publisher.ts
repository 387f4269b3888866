import type { Cluster, Redis } from 'ioredis';
import type { BundledEventMap } from '@sse-gateway/schemas';
import { PublisherClosedError, PublishTimeoutError } from './errors';
import type { EventInput } from './protocol/envelope';
import { createKeyspace, DEFAULT_KEY_PREFIX } from './protocol/keys';
import { createEventValidator, DEFAULT_MAX_EVENT_BYTES } from './protocol/validate';
import { httpTransport } from './transports/http';
import { redisTransport, redisTransportFromUrl } from './transports/redis';
import type { Transport } from './transports/transport';
import { urlOption } from './url-option';

/** The `data` of each bundled type a publisher may send (the `gateway.*` types are the gateway's own). */
export type PublishableEventMap = { [T in keyof BundledEventMap as T extends `gateway.${string}` ? never : T]: BundledEventMap[T] };

/** An event to publish. For a bundled type, `data` is checked by the compiler too. */
export type PublishEvent<T extends string = string> = EventInput<T extends keyof PublishableEventMap ? PublishableEventMap[T] : unknown, T>;

/** Any event, bundled or of a type added with `schemasDir`. */
export type AnyPublishEvent = { [T in keyof PublishableEventMap]: PublishEvent<T> }[keyof PublishableEventMap] | EventInput<unknown, string>;

export interface CommonPublisherOptions {
  /** Events kept per channel written by this publisher; older ones are trimmed. @default 1000 */
  historyMaxLen?: number;
  /** Seconds a channel's history lives after its last event. @default 86400 */
  historyTtlS?: number;
  /** Longest wait for a publish to be confirmed before it rejects. @default 5000 */
  timeoutMs?: number;
  /** A folder of `<type>.schema.json` files with extra event types (as the gateway's `SCHEMAS_DIR`). */
  schemasDir?: string;
  /** Largest event in bytes of its JSON (as the gateway's `PUBLISH_MAX_BYTES`). @default 65536 */
  maxEventBytes?: number;
  /** Prefix of every Redis key and pub/sub channel (as the gateway's `REDIS_KEY_PREFIX`). @default "sse" */
  keyPrefix?: string;
}

export type PublisherOptions = CommonPublisherOptions &
  (
    | { /** e.g. `redis://127.0.0.1:6379/0`: the publisher opens and closes its own connection. */ redisUrl: string }
    | { /** A connection you own (and close). */ redis: Redis | Cluster }
    | { /** A gateway's base URL, e.g. `http://localhost:8080`. */ gatewayUrl: string; /** A JWT whose `sse.publish` covers the channels. */ token: string }
  );

export interface Publisher {
  /** Validates and stores one event; resolves with its id once stored. */
  publish<T extends string>(event: PublishEvent<T>): Promise<{ id: string }>;
  /** Validates every event (all or nothing) and stores them in one round trip; ids in order. */
  publishMany(events: readonly AnyPublishEvent[]): Promise<{ ids: string[] }>;
  /** Closes the connection the publisher opened. Publishing afterwards rejects. */
  close(): Promise<void>;
}

export const DEFAULT_HISTORY_MAX_LEN = 1000;
export const DEFAULT_HISTORY_TTL_S = 86400;
export const DEFAULT_TIMEOUT_MS = 5000;

export function createPublisher(options: PublisherOptions): Publisher {
  const timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const validator = createEventValidator({
    schemasDir: options.schemasDir,
    maxEventBytes: positive(options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES, 'maxEventBytes'),
  });
  const transport = transportFor(options);
  let closed = false;

  async function store(events: readonly unknown[], batch: boolean): Promise<string[]> {
    if (closed) throw new PublisherClosedError();
    const prepared = validator.prepare(events, { batch });
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Reject before aborting: the abort makes the transport reject too, and the caller must
        // see the timeout (which says what is unreachable), not the transport's consequence of it.
        reject(new PublishTimeoutError(timeoutMs, transport.diagnose()));
        deadline.abort();
      }, timeoutMs);
    });
    try {
      return await Promise.race([transport.store(prepared, deadline.signal), timeout]);
    } catch (error) {
      // A publish still waiting for a connection when close() ends it.
      if (closed && !(error instanceof PublishTimeoutError)) throw new PublisherClosedError();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async publish(event) {
      const [id] = await store([event], false);
      return { id: id as string };
    },
    async publishMany(events) {
      // Nothing to store is not an error for a batching caller (and costs no round trip).
      if (Array.isArray(events) && events.length === 0) {
        if (closed) throw new PublisherClosedError();
        return { ids: [] };
      }
      return { ids: await store(events, true) };
    },
    async close() {
      if (closed) return;
      closed = true;
      await transport.close();
    },
  };
}

function transportFor(options: PublisherOptions): Transport {
  if ('gatewayUrl' in options) return httpTransport({ gatewayUrl: options.gatewayUrl, token: options.token });
  const redisOptions = {
    keyspace: createKeyspace(options.keyPrefix ?? DEFAULT_KEY_PREFIX),
    historyMaxLen: positive(options.historyMaxLen ?? DEFAULT_HISTORY_MAX_LEN, 'historyMaxLen'),
    historyTtlS: positive(options.historyTtlS ?? DEFAULT_HISTORY_TTL_S, 'historyTtlS'),
  };
  if ('redisUrl' in options) return redisTransportFromUrl(checkRedisUrl(options.redisUrl), redisOptions);
  if (options.redis.options.keyPrefix) {
    // ioredis would prefix the script's KEYS but not its pub/sub channel: events would land where
    // no gateway reads them.
    throw new RangeError('the { redis } connection must not have a keyPrefix: use the publisher\'s keyPrefix option');
  }
  return redisTransport(options.redis, redisOptions);
}

function checkRedisUrl(url: string): string {
  const parsed = urlOption(url, 'redisUrl', ['redis:', 'rediss:'], 'redis://[user:password@]host:port[/db]');
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) throw new RangeError('redisUrl: the path must be a database number, as in redis://host:6379/0');
  return url;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
