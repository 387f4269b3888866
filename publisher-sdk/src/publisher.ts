import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import type { BundledEventMap } from '@sse-gateway/schemas';
import { storeWithRetries } from './attempts';
import { PublisherClosedError } from './errors';
import {
  DEFAULT_HISTORY_MAX_LEN,
  DEFAULT_HISTORY_TTL_S,
  DEFAULT_IDEMPOTENCY_TTL_S,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_STATE_TTL_S,
} from './protocol/defaults';
import type { EventInput } from './protocol/envelope';
import { createKeyspace, DEFAULT_KEY_PREFIX } from './protocol/keys';
import { createEventValidator } from './protocol/validate';
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
  /** Longest wait for a publish to be confirmed, all its retries included, before it rejects. @default 5000 */
  timeoutMs?: number;
  /** Tries after the first for a publish that timed out or lost its connection (same idempotency keys). @default 2 */
  retries?: number;
  /**
   * Seconds an `idempotencyKey` you give is remembered per channel (Redis transports; over HTTP
   * the gateway's `IDEMPOTENCY_TTL_S` applies). @default 86400
   */
  idempotencyTtlS?: number;
  /**
   * Give every event without an `idempotencyKey` one of its own (a random UUID, remembered for
   * {@link AUTOMATIC_KEY_TTL_S} at most), so that retries never store it twice. When false, an
   * event without a key is never retried. @default true
   */
  automaticIdempotencyKeys?: boolean;
  /** Seconds a channel's retained state lives after its last `retain: true` event (Redis transports). @default 604800 */
  stateTtlS?: number;
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

/** What `publish` resolves with. */
export interface PublishResult {
  id: string;
  /**
   * True when the event's `idempotencyKey` was already stored on the channel (by an earlier
   * publish, or an earlier try of this one): nothing was stored, `id` is the first event's.
   * Never true for an automatic key.
   */
  duplicate: boolean;
}

/** What `publishMany` resolves with. */
export interface PublishManyResult {
  /** One id per event, in order; a duplicate's is the first event's. */
  ids: string[];
  /** Indexes of the events that were duplicates (see {@link PublishResult.duplicate}). */
  duplicates: number[];
}

export interface Publisher {
  /** Validates and stores one event; resolves with its id once stored. */
  publish<T extends string>(event: PublishEvent<T>): Promise<PublishResult>;
  /** Validates every event (all or nothing) and stores them in one round trip; ids in order. */
  publishMany(events: readonly AnyPublishEvent[]): Promise<PublishManyResult>;
  /** Closes the connection the publisher opened. Publishing afterwards rejects. */
  close(): Promise<void>;
}

export { DEFAULT_HISTORY_MAX_LEN, DEFAULT_HISTORY_TTL_S, DEFAULT_IDEMPOTENCY_TTL_S, DEFAULT_STATE_TTL_S };
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_RETRIES = 2;
/**
 * Longest life of an automatic key. It only has to outlive the tries of one `publish` call, and a
 * key costs Redis ~190 bytes for as long as it lives: 10 minutes, not a day, at every event.
 */
export const AUTOMATIC_KEY_TTL_S = 600;

export function createPublisher(options: PublisherOptions): Publisher {
  const timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isSafeInteger(retries) || retries < 0) throw new RangeError(`retries must be an integer ≥ 0, got ${retries}`);
  const automaticKeys = options.automaticIdempotencyKeys ?? true;
  const idempotencyTtlS = positive(options.idempotencyTtlS ?? DEFAULT_IDEMPOTENCY_TTL_S, 'idempotencyTtlS');
  const automaticKeyTtlS = Math.min(AUTOMATIC_KEY_TTL_S, idempotencyTtlS);
  const validator = createEventValidator({
    schemasDir: options.schemasDir,
    maxEventBytes: positive(options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES, 'maxEventBytes'),
  });
  const transport = transportFor(options);
  const closing = new AbortController();
  // Every publish pausing between retries listens for close() until its pause ends: as many
  // listeners as publishes in flight, which is the caller's to bound, not a leak to warn about.
  setMaxListeners(0, closing.signal);

  /** Stores the events; the indexes of automatic keys are never reported as duplicates. */
  async function store(events: readonly unknown[], batch: boolean): Promise<PublishManyResult> {
    if (closing.signal.aborted) throw new PublisherClosedError();
    const prepared = validator.prepare(events, { batch });
    const automatic = new Set<number>();
    prepared.forEach((event, index) => {
      // A caller's own TTL is at most this publisher's, as the gateway caps it at IDEMPOTENCY_TTL_S.
      if (event.idempotencyTtlS !== undefined) event.idempotencyTtlS = Math.min(event.idempotencyTtlS, idempotencyTtlS);
      if (!automaticKeys || event.idempotencyKey !== undefined) return;
      event.idempotencyKey = randomUUID();
      event.idempotencyTtlS = automaticKeyTtlS;
      automatic.add(index);
    });
    const { ids, duplicates } = await storeWithRetries(prepared, { transport, timeoutMs, retries, closing: closing.signal });
    return { ids, duplicates: duplicates.filter((index) => !automatic.has(index)) };
  }

  return {
    async publish(event) {
      const { ids, duplicates } = await store([event], false);
      return { id: ids[0] as string, duplicate: duplicates.length > 0 };
    },
    async publishMany(events) {
      // Nothing to store is not an error for a batching caller (and costs no round trip).
      if (Array.isArray(events) && events.length === 0) {
        if (closing.signal.aborted) throw new PublisherClosedError();
        return { ids: [], duplicates: [] };
      }
      return store(events, true);
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
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
    idempotencyTtlS: positive(options.idempotencyTtlS ?? DEFAULT_IDEMPOTENCY_TTL_S, 'idempotencyTtlS'),
    stateTtlS: positive(options.stateTtlS ?? DEFAULT_STATE_TTL_S, 'stateTtlS'),
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
