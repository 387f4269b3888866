// Builds the configured bus: in-memory when no Redis is configured, else Redis or Redis Cluster.
import type { Config } from '../config';
import type { Bus } from './bus';
import { MemoryBus } from './memory-bus';
import { RedisBus } from './redis-bus';

type BusSettings = Pick<Config, 'redis' | 'keyPrefix' | 'historyMaxLen' | 'historyTtlS' | 'idempotencyTtlS' | 'stateTtlS'>;

interface BusExtras {
  /** Connection errors and errors thrown by live handlers (for the log). */
  onError?: (error: Error) => void;
}

export function createBus(settings: BusSettings, extras: BusExtras = {}): Bus {
  const { redis, keyPrefix, historyMaxLen, historyTtlS, idempotencyTtlS, stateTtlS } = settings;
  const stored = { historyMaxLen, historyTtlS, idempotencyTtlS, stateTtlS, onError: extras.onError };
  if (redis.mode === 'memory') return new MemoryBus(stored);
  return new RedisBus(redis, { keyPrefix, ...stored });
}
