// publishMany of 1,000 events is one round trip: one EVALSHA of the publish script, counted by
// the server itself (INFO commandstats) on a private Redis that nobody else talks to.
import { createPublisher } from '@sse-gateway/publisher';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import type { Redis } from 'ioredis';
import { connectRedis } from '../helpers/redis';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { statusEvent } from '../helpers/events';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = connectRedis(server.url);
});

afterAll(async () => {
  await admin.quit();
  await server.dispose();
});

/**
 * Calls per command since the last CONFIG RESETSTAT, without the admin's own INFO and CONFIG.
 * Commands run inside the script are counted too, each under its own name.
 */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const [, name, count] = match;
    if (name !== 'info' && !name?.startsWith('config')) calls[name as string] = Number(count);
  }
  return calls;
}

test('publishMany of 1,000 events on 10 channels is a single EVALSHA', async () => {
  const publisher = createPublisher({ redisUrl: server.url, keyPrefix: 'rt' });
  try {
    // The first call on a Redis that has never seen the script costs an extra EVAL (NOSCRIPT fallback).
    await publisher.publish(statusEvent('warm-up', '0'));
    await admin.config('RESETSTAT');

    const events = Array.from({ length: 1000 }, (_, i) => statusEvent(`execution:${i % 10}`, String(i)));
    const { ids } = await publisher.publishMany(events);

    // One command from the client; the rest ran inside the script, 1,000 of each (GET and SET:
    // the publisher's automatic idempotency key of each event).
    expect(await commandCalls()).toEqual({ evalsha: 1, get: 1000, xrevrange: 1000, xadd: 1000, expire: 1000, set: 1000, publish: 1000 });
    const keyspace = createKeyspace('rt');
    for (let c = 0; c < 10; c++) {
      const stored = await admin.xrange(keyspace.historyKey(`execution:${c}`), '-', '+');
      // Ids are unique per channel (another channel may reuse one): event i is on channel i % 10.
      expect(stored.map(([id]) => id)).toEqual(ids.filter((_, i) => i % 10 === c));
    }
  } finally {
    await publisher.close();
  }
});

test('a single publish is a single EVALSHA too', async () => {
  const publisher = createPublisher({ redisUrl: server.url, keyPrefix: 'rt' });
  try {
    await publisher.publish(statusEvent('warm-up', '0'));
    await admin.config('RESETSTAT');
    await publisher.publish(statusEvent('execution:1', '1'));
    expect(await commandCalls()).toEqual({ evalsha: 1, get: 1, xrevrange: 1, xadd: 1, expire: 1, set: 1, publish: 1 });
  } finally {
    await publisher.close();
  }
});
