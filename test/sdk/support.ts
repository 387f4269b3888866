// Shared by the SDK tests: a raw ioredis subscriber on a channel's live pub/sub channel, and small
// readers of a channel's history stream. Raw ioredis on purpose: the tests check the wire format.
import type { Redis } from 'ioredis';
import { createKeyspace, historyEntryOf, type HistoryEntry } from '@sse-gateway/publisher/protocol';
import { connectRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

export interface LiveMessageRecord {
  prev: string;
  envelope: string;
}

export interface LiveListener {
  readonly messages: LiveMessageRecord[];
  /** Resolves with the first `count` messages once they arrived. */
  waitFor(count: number): Promise<LiveMessageRecord[]>;
  close(): Promise<void>;
}

/** Subscribes to the live pub/sub channel of `channel` and records every message, split at the first space. */
export async function listenLive(keyPrefix: string, channel: string, url?: string): Promise<LiveListener> {
  const subscriber = connectRedis(url);
  const messages: LiveMessageRecord[] = [];
  subscriber.on('messageBuffer', (_channel: Buffer, raw: Buffer) => {
    const text = raw.toString('utf8');
    const space = text.indexOf(' ');
    messages.push({ prev: text.slice(0, space), envelope: text.slice(space + 1) });
  });
  // SUBSCRIBE resolves once Redis confirmed it: every later PUBLISH reaches us.
  await subscriber.subscribe(createKeyspace(keyPrefix).liveChannel(channel));
  return {
    messages,
    async waitFor(count) {
      await waitFor(() => messages.length >= count, { message: `${count} live message(s) on ${channel}` });
      return messages.slice(0, count);
    },
    async close() {
      await subscriber.quit();
    },
  };
}

/** Every retained entry of `channel`'s history stream, oldest first. */
export async function readHistory(redis: Redis, keyPrefix: string, channel: string): Promise<HistoryEntry[]> {
  const raw = await redis.xrange(createKeyspace(keyPrefix).historyKey(channel), '-', '+');
  return raw.map(([id, fields]) => {
    const entry = historyEntryOf(id, fields);
    if (entry === undefined) throw new Error(`stream entry ${id} was not written by the publish script: ${fields.join(' ')}`);
    return entry;
  });
}

/** Every key under `keyPrefix` (SCAN, not KEYS: the test Redis is shared). */
export async function keysUnder(redis: Redis, keyPrefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key under `keyPrefix`: history streams, and the idempotency keys publishing left. */
export async function clearKeys(redis: Redis, keyPrefix: string): Promise<void> {
  const keys = await keysUnder(redis, keyPrefix);
  if (keys.length > 0) await redis.del(...keys);
}

