// publishMany of 1,000 events is one round trip: one EVALSHA of the publish script, counted by
// the server itself (INFO commandstats) on a private Redis that nobody else talks to.
import { createPublisher } from '@sse-gateway/publisher';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis';
import { statusEvent } from '../helpers/events';

let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(() => redis.close());

test('publishMany of 1,000 events on 10 channels is a single EVALSHA', async () => {
  const publisher = createPublisher({ redisUrl: redis.url, keyPrefix: 'rt' });
  try {
    // The first call on a Redis that has never seen the script costs an extra EVAL (NOSCRIPT fallback).
    await publisher.publish(statusEvent('warm-up', '0'));
    await redis.admin.config('RESETSTAT');

    const events = Array.from({ length: 1000 }, (_, i) => statusEvent(`execution:${i % 10}`, String(i)));
    const { ids } = await publisher.publishMany(events);

    // One command from the client; the rest ran inside the script, 1,000 of each (GET and SET:
    // the publisher's automatic idempotency key of each event).
    expect(await redis.commandCalls()).toEqual({ evalsha: 1, get: 1000, xrevrange: 1000, xadd: 1000, expire: 1000, set: 1000, publish: 1000 });
    const keyspace = createKeyspace('rt');
    for (let c = 0; c < 10; c++) {
      const stored = await redis.admin.xrange(keyspace.historyKey(`execution:${c}`), '-', '+');
      // Ids are unique per channel (another channel may reuse one): event i is on channel i % 10.
      expect(stored.map(([id]) => id)).toEqual(ids.filter((_, i) => i % 10 === c));
    }
  } finally {
    await publisher.close();
  }
});

test('a single publish is a single EVALSHA too', async () => {
  const publisher = createPublisher({ redisUrl: redis.url, keyPrefix: 'rt' });
  try {
    await publisher.publish(statusEvent('warm-up', '0'));
    await redis.admin.config('RESETSTAT');
    await publisher.publish(statusEvent('execution:1', '1'));
    expect(await redis.commandCalls()).toEqual({ evalsha: 1, get: 1, xrevrange: 1, xadd: 1, expire: 1, set: 1, publish: 1 });
  } finally {
    await publisher.close();
  }
});
