import { Redis } from 'ioredis';
import { TransportError } from '../errors';
import { REFUSE_WHEN_DISCONNECTED, storeEvents, type RedisClient, type StoreOptions } from '../protocol/store';
import type { Transport } from './transport';

type RedisTransportOptions = StoreOptions;

/**
 * Publishes into Redis. With a URL it owns its connection, set up so that a command is either
 * sent on a ready connection or refused: no offline queue, no silent resend after a reconnect, so
 * an event the caller was told failed is not stored later behind its back.
 */
export function redisTransportFromUrl(url: string, options: RedisTransportOptions): Transport {
  const redis = new Redis(url, { ...REFUSE_WHEN_DISCONNECTED, enableAutoPipelining: true });
  return redisTransport(redis, options, true);
}

/** Publishes through a connection the caller owns (and closes). */
export function redisTransport(redis: RedisClient, options: RedisTransportOptions, owned = false): Transport {
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };
  redis.on('error', onError);
  const where = describe(redis);
  const watch = new ReadyWatch(redis);
  return {
    async store(events, deadline) {
      if (owned) await whenReady(redis, watch, deadline, () => lastError, where);
      try {
        return await storeEvents(redis, events, options);
      } catch (error) {
        // Not "did not store": a connection lost after the command was sent may have run it.
        throw new TransportError(`Redis at ${where} did not confirm the event(s) stored: ${(error as Error).message}`, error);
      }
    },
    diagnose() {
      if (redis.status === 'ready') return `no reply from Redis at ${where}`;
      return `Redis at ${where} is unreachable${lastError ? ` (${lastError.message})` : ''}`;
    },
    async close() {
      if (!owned) {
        redis.off('error', onError);
        return;
      }
      // Keep listening until the end: a late socket error must not become an unhandled 'error' event.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else if (redis.status !== 'end') redis.disconnect();
    },
  };
}

/**
 * Publishes waiting for the connection share one pair of listeners on the client: a pair each
 * would pile up past Node's listener warning while Redis is down and callers keep publishing.
 */
class ReadyWatch {
  private readonly waiting = new Set<(ready: boolean) => void>();

  constructor(private readonly redis: RedisClient) {}

  /** Calls `settled` once, on the next 'ready' (true) or 'end' (false); returns a cancel. */
  wait(settled: (ready: boolean) => void): () => void {
    if (this.waiting.size === 0) {
      this.redis.on('ready', this.onReady);
      this.redis.on('end', this.onEnd);
    }
    this.waiting.add(settled);
    return () => {
      this.waiting.delete(settled);
      if (this.waiting.size === 0) this.stopListening();
    };
  }

  private readonly onReady = (): void => this.settle(true);
  private readonly onEnd = (): void => this.settle(false);

  private settle(ready: boolean): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    this.stopListening();
    for (const settled of waiting) settled(ready);
  }

  private stopListening(): void {
    this.redis.off('ready', this.onReady);
    this.redis.off('end', this.onEnd);
  }
}

function whenReady(redis: RedisClient, watch: ReadyWatch, deadline: AbortSignal, lastError: () => Error | undefined, where: string): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  // The connection was closed for good (by close()): no 'ready' will come, do not wait for the deadline.
  const closed = (): TransportError => new TransportError(`the connection to Redis at ${where} was closed`, lastError());
  if (redis.status === 'end') return Promise.reject(closed());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(new TransportError(`Redis at ${where} is unreachable`, lastError()));
    };
    const cancel = watch.wait((ready) => {
      deadline.removeEventListener('abort', onAbort);
      if (ready) resolve();
      else reject(closed());
    });
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort);
  });
}

/** host:port of the connection, never its password. */
function describe(redis: RedisClient): string {
  if (redis.isCluster) return 'Redis Cluster';
  const { host, port, db, path } = (redis as Redis).options;
  if (path) return `${path}/${db ?? 0}`;
  return `${host ?? '127.0.0.1'}:${port ?? 6379}/${db ?? 0}`;
}
