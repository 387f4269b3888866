// Stores prepared events with the publish script. Used by the SDK's Redis transport and by the
// gateway's Redis bus (HTTP publish), so both write the same way.
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Keyspace } from './keys';
import { PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from './publish-script';
import type { PreparedEvent } from './validate';

export type RedisClient = Redis | Cluster;

/**
 * ioredis settings under which a command is either sent on a ready connection or refused at once:
 * no offline queue and no resend after a reconnect, so a publish reported as failed is not stored
 * later behind the caller's back (its retry, with the same idempotency key, decides instead).
 */
export const REFUSE_WHEN_DISCONNECTED = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
} as const satisfies RedisOptions;

export interface StoreOptions {
  keyspace: Keyspace;
  /** Entries kept per channel's history. */
  historyMaxLen: number;
  /** Seconds a channel's history lives after its last event. */
  historyTtlS: number;
  /** Seconds an event's idempotency key is remembered (unless the event says otherwise). */
  idempotencyTtlS: number;
  /** Seconds a channel's retained state lives after its last retained event. */
  stateTtlS: number;
}

/** What a store did: the ids in order, and which events were duplicates (their id is the first one's). */
export interface StoreResult {
  ids: string[];
  /** Indexes of the events whose idempotency key was already known: nothing was stored for them. */
  duplicates: number[];
}

/**
 * Stores and announces `events`. On a single Redis the whole batch is one script call (one round
 * trip, atomic). On Redis Cluster, one call per channel (a script's keys must share a slot), sent
 * concurrently.
 */
export async function storeEvents(redis: RedisClient, events: readonly PreparedEvent[], options: StoreOptions): Promise<StoreResult> {
  // Not `instanceof`: a user's connection may come from another copy of ioredis.
  if (!redis.isCluster) return resultOf(await runScript(redis, scriptArgs(events, options, 'PUBLISH')));
  const byChannel = new Map<string, number[]>();
  events.forEach((event, index) => {
    const list = byChannel.get(event.channel);
    if (list === undefined) byChannel.set(event.channel, [index]);
    else list.push(index);
  });
  const ids = new Array<string>(events.length);
  const duplicates: number[] = [];
  await Promise.all(
    [...byChannel.values()].map(async (indexes) => {
      const part = resultOf(await runScript(redis, scriptArgs(indexes.map((i) => events[i] as PreparedEvent), options, 'SPUBLISH')));
      indexes.forEach((eventIndex, k) => (ids[eventIndex] = part.ids[k] as string));
      for (const k of part.duplicates) duplicates.push(indexes[k] as number);
    }),
  );
  return { ids, duplicates: duplicates.sort((a, b) => a - b) };
}

function scriptArgs(events: readonly PreparedEvent[], options: StoreOptions, announce: string): [number, ...string[]] {
  const { keyspace } = options;
  const keys: string[] = [];
  const argv: string[] = [String(options.historyMaxLen), String(options.historyTtlS), announce, String(options.stateTtlS)];
  for (const event of events) {
    const history = keyspace.historyKey(event.channel);
    const key = event.idempotencyKey;
    keys.push(history, keyspace.stateKey(event.channel), key === undefined ? history : keyspace.idempotencyKey(event.channel, key));
    const keyTtl = key === undefined ? 0 : (event.idempotencyTtlS ?? options.idempotencyTtlS);
    argv.push(keyspace.liveChannel(event.channel), event.type, String(keyTtl), event.retain ? '1' : '0', event.body);
  }
  return [keys.length, ...keys, ...argv];
}

/** The script's reply `{id1, dup1, id2, dup2, …}` as a StoreResult. */
function resultOf(reply: unknown[]): StoreResult {
  const ids: string[] = [];
  const duplicates: number[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    ids.push(String(reply[i]));
    if (Number(reply[i + 1]) === 1) duplicates.push(i / 2);
  }
  return { ids, duplicates };
}

/**
 * EVALSHA, and EVAL when the server does not know the script yet (first use, restart, SCRIPT
 * FLUSH). Not ioredis `defineCommand`: with auto-pipelining on a Cluster, ioredis routes a custom
 * command by its first argument (the key count), so calls for different slots shared one pipeline
 * and failed; EVALSHA/EVAL are routed by their real first key.
 */
async function runScript(redis: RedisClient, args: [number, ...string[]]): Promise<unknown[]> {
  try {
    return (await redis.evalsha(PUBLISH_SCRIPT_SHA, ...args)) as unknown[];
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await redis.eval(PUBLISH_SCRIPT, ...args)) as unknown[];
  }
}
