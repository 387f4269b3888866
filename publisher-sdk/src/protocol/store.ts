// Stores prepared events with the publish script. Used by the SDK's Redis transport and by the
// gateway's Redis bus (HTTP publish), so both write the same way.
import type { Cluster, Redis } from 'ioredis';
import type { Keyspace } from './keys';
import { PUBLISH_COMMAND, PUBLISH_SCRIPT } from './publish-script';
import type { PreparedEvent } from './validate';

export type RedisClient = Redis | Cluster;

export interface StoreOptions {
  keyspace: Keyspace;
  /** Entries kept per channel's history. */
  historyMaxLen: number;
  /** Seconds a channel's history lives after its last event. */
  historyTtlS: number;
}

type ScriptRunner = (numKeys: number, ...args: string[]) => Promise<string[]>;

/**
 * Stores and announces `events`, returning their ids in order. On a single Redis the whole batch is
 * one script call (one round trip, atomic). On Redis Cluster, one call per channel (a script's
 * keys must share a slot), sent concurrently.
 */
export async function storeEvents(redis: RedisClient, events: readonly PreparedEvent[], options: StoreOptions): Promise<string[]> {
  const run = scriptRunner(redis);
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

function scriptRunner(redis: RedisClient): ScriptRunner {
  const commands = redis as unknown as Record<string, ScriptRunner | undefined>;
  // defineCommand caches the SHA and falls back from EVALSHA to EVAL on NOSCRIPT by itself.
  if (commands[PUBLISH_COMMAND] === undefined) redis.defineCommand(PUBLISH_COMMAND, { lua: PUBLISH_SCRIPT });
  const command = commands[PUBLISH_COMMAND] as ScriptRunner;
  return command.bind(redis);
}
