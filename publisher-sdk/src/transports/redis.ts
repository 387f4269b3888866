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
  return {
    async store(events, deadline) {
      if (owned) await whenReady(redis, deadline, () => lastError, where);
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

function whenReady(redis: RedisClient, deadline: AbortSignal, lastError: () => Error | undefined, where: string): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      deadline.removeEventListener('abort', onAbort);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const onAbort = (): void => {
      done();
      reject(new TransportError(`Redis at ${where} is unreachable`, lastError()));
    };
    // The connection was closed for good (by close()): no 'ready' will come, do not wait for the deadline.
    const onEnd = (): void => {
      done();
      reject(new TransportError(`the connection to Redis at ${where} was closed`, lastError()));
    };
    if (redis.status === 'end') return onEnd();
    redis.on('ready', onReady);
    redis.on('end', onEnd);
    deadline.addEventListener('abort', onAbort);
  });
}

/** host:port of the connection, never its password. */
function describe(redis: RedisClient): string {
  if (redis.isCluster) return 'Redis Cluster';
  const { host, port, db, path } = (redis as Redis).options;
  if (path) return `${path}/${db ?? 0}`;
  return `${host ?? '127.0.0.1'}:${port ?? 6379}/${db ?? 0}`;
}
