// Stores prepared events with the publish script. Used by the SDK's Redis transport and by the
// gateway's Redis bus (HTTP publish), so both write the same way.
import type { Cluster, Redis } from 'ioredis';
import type { Keyspace } from './keys';
import { PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from './publish-script';
import type { PreparedEvent } from './validate';

export type RedisClient = Redis | Cluster;

export interface StoreOptions {
  keyspace: Keyspace;
  /** Entries kept per channel's history. */
  historyMaxLen: number;
  /** Seconds a channel's history lives after its last event. */
  historyTtlS: number;
}

/**
 * Stores and announces `events`, returning their ids in order. On a single Redis the whole batch is
 * one script call (one round trip, atomic). On Redis Cluster, one call per channel (a script's
 * keys must share a slot), sent concurrently.
 */
export async function storeEvents(redis: RedisClient, events: readonly PreparedEvent[], options: StoreOptions): Promise<string[]> {
  const run = (...args: [number, ...string[]]): Promise<string[]> => runScript(redis, args);
  // Not `instanceof`: a user's connection may come from another copy of ioredis.
  const cluster = redis.isCluster;
  if (!cluster) return run(...scriptArgs(events, options, 'PUBLISH'));
  const byChannel = new Map<string, number[]>();
  events.forEach((event, index) => {
    const list = byChannel.get(event.channel);
    if (list === undefined) byChannel.set(event.channel, [index]);
    else list.push(index);
  });
  const ids = new Array<string>(events.length);
  await Promise.all(
    [...byChannel.values()].map(async (indexes) => {
      const stored = await run(...scriptArgs(indexes.map((i) => events[i] as PreparedEvent), options, 'SPUBLISH'));
      indexes.forEach((eventIndex, k) => (ids[eventIndex] = stored[k] as string));
    }),
  );
  return ids;
}

function scriptArgs(events: readonly PreparedEvent[], options: StoreOptions, announce: string): [number, ...string[]] {
  const keys: string[] = [];
  const argv: string[] = [String(options.historyMaxLen), String(options.historyTtlS), announce];
  for (const event of events) {
    keys.push(options.keyspace.historyKey(event.channel));
    argv.push(options.keyspace.liveChannel(event.channel), event.body);
  }
  return [keys.length, ...keys, ...argv];
}

/**
 * EVALSHA, and EVAL when the server does not know the script yet (first use, restart, SCRIPT
 * FLUSH). Not ioredis `defineCommand`: with auto-pipelining on a Cluster, ioredis routes a custom
 * command by its first argument (the key count), so calls for different slots shared one pipeline
 * and failed; EVALSHA/EVAL are routed by their real first key.
 */
async function runScript(redis: RedisClient, args: [number, ...string[]]): Promise<string[]> {
  try {
    return (await redis.evalsha(PUBLISH_SCRIPT_SHA, ...args)) as string[];
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await redis.eval(PUBLISH_SCRIPT, ...args)) as string[];
  }
}
