// Idempotent publishing with the SDK, on a single Redis and on Redis Cluster: a repeated key stores
// and announces nothing and answers the first id; a publish whose reply is lost (Redis paused past
// the attempt's deadline with CLIENT PAUSE) or whose connection is killed is retried with the same
// automatic key and stored exactly once; a key reused after idempotencyTtlS publishes again.
import { Cluster, Redis } from 'ioredis';
import { createPublisher, PublishTimeoutError, type Publisher } from '@sse-gateway/publisher';
import { createKeyspace, historyEntryOf, type HistoryEntry } from '@sse-gateway/publisher/protocol';
import { statusEvent } from '../helpers/events';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { clusterPerFile, type RedisClusterServer } from '../helpers/redis-cluster';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis';
import { waitFor } from '../helpers/wait-for';

/** What a test needs of a deployment: a publisher on it, its history, and its live messages. */
interface Deployment {
  publisher(keyPrefix: string, options?: { idempotencyTtlS?: number }): Publisher;
  history(keyPrefix: string, channel: string): Promise<HistoryEntry[]>;
  /** Records the envelopes announced on `channel` from now on. */
  listen(keyPrefix: string, channel: string): Promise<{ messages: string[]; close(): Promise<void> }>;
  close(): Promise<void>;
}

async function historyOf(client: Redis | Cluster, keyPrefix: string, channel: string): Promise<HistoryEntry[]> {
  const raw = await client.xrange(createKeyspace(keyPrefix).historyKey(channel), '-', '+');
  return raw.map(([id, fields]) => historyEntryOf(id, fields) as HistoryEntry);
}

function singleRedis(): Deployment {
  const admin = connectRedis();
  const publishers: Publisher[] = [];
  return {
    publisher(keyPrefix, options = {}) {
      const publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix, ...options });
      publishers.push(publisher);
      return publisher;
    },
    history: (keyPrefix, channel) => historyOf(admin, keyPrefix, channel),
    async listen(keyPrefix, channel) {
      const subscriber = connectRedis();
      const messages: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => messages.push(message));
      await subscriber.subscribe(createKeyspace(keyPrefix).liveChannel(channel));
      return { messages, close: async () => void (await subscriber.quit()) };
    },
    async close() {
      await Promise.all(publishers.map((p) => p.close()));
      await admin.quit();
    },
  };
}

function redisCluster(server: RedisClusterServer): Deployment {
  const client = server.connect();
  return {
    publisher: (keyPrefix, options = {}) => createPublisher({ redis: client, keyPrefix, ...options }),
    history: (keyPrefix, channel) => historyOf(client, keyPrefix, channel),
    async listen(keyPrefix, channel) {
      const subscriber = server.connect();
      const messages: string[] = [];
      subscriber.on('smessage', (_channel: string, message: string) => messages.push(message));
      await subscriber.ssubscribe(createKeyspace(keyPrefix).liveChannel(channel));
      return { messages, close: async () => void (await subscriber.quit()) };
    },
    async close() {
      await client.quit();
    },
  };
}

const cluster = clusterPerFile();

describe.each([
  ['a single Redis', (): Deployment => singleRedis()],
  ['Redis Cluster', (): Deployment => redisCluster(cluster())],
])('idempotency keys on %s', (_name, deploy) => {
  let deployment: Deployment;
  beforeAll(() => {
    deployment = deploy();
  });
  afterAll(async () => {
    await deployment.close();
  });

  test('the same idempotencyKey twice: one history entry, one live message, the same id, duplicate the second time', async () => {
    const keyPrefix = uniquePrefix('idem');
    const publisher = deployment.publisher(keyPrefix);
    const live = await deployment.listen(keyPrefix, 'execution:1');
    try {
      const first = await publisher.publish({ ...statusEvent('execution:1', '1'), idempotencyKey: 'step-1' });
      const second = await publisher.publish({ ...statusEvent('execution:1', '1', 'failed'), idempotencyKey: 'step-1' });
      const { id: next } = await publisher.publish(statusEvent('execution:1', '1', 'succeeded'));
      expect(first.duplicate).toBe(false);
      expect(second).toEqual({ id: first.id, duplicate: true });
      // The event after the duplicate is announced after it would have been: two messages, not three.
      await waitFor(() => live.messages.length >= 2, { message: 'two live messages' });
      expect(live.messages.map((m) => JSON.parse(m.slice(m.indexOf(' ') + 1)).id)).toEqual([first.id, next]);
      const history = await deployment.history(keyPrefix, 'execution:1');
      expect(history.map((e) => e.id)).toEqual([first.id, next]);
      expect(JSON.parse(history[0]!.envelope).data.status).toBe('running');
    } finally {
      await live.close();
    }
  });

  test('publishMany: a batch over several channels answers the first ids and the duplicates\' indexes', async () => {
    const keyPrefix = uniquePrefix('idemmany');
    const publisher = deployment.publisher(keyPrefix);
    const channels = ['execution:1', 'execution:2', 'crew:7:runs'];
    const batch = channels.map((channel) => ({ ...statusEvent(channel, channel), idempotencyKey: `k-${channel}` }));
    const first = await publisher.publishMany(batch);
    expect(first.duplicates).toEqual([]);
    const again = await publisher.publishMany([statusEvent('execution:1', 'new'), ...batch]);
    expect(again.ids.slice(1)).toEqual(first.ids);
    expect(again.duplicates).toEqual([1, 2, 3]);
    for (const channel of channels) expect(await deployment.history(keyPrefix, channel)).toHaveLength(channel === 'execution:1' ? 2 : 1);
  });

  test('a key reused after idempotencyTtlS publishes again', async () => {
    const keyPrefix = uniquePrefix('idemttl');
    const publisher = deployment.publisher(keyPrefix, { idempotencyTtlS: 1 });
    const event = { ...statusEvent('execution:ttl', 'ttl'), idempotencyKey: 'nightly' };
    const first = await publisher.publish(event);
    expect((await publisher.publish(event)).duplicate).toBe(true);
    // A duplicate stores nothing: asking until it is not one has no side effect.
    const later = await waitFor(async () => {
      const result = await publisher.publish(event);
      return result.duplicate ? undefined : result;
    }, { timeoutMs: 5000, intervalMs: 100, message: 'the key to expire' });
    expect(later.id).not.toBe(first.id);
    expect((await deployment.history(keyPrefix, 'execution:ttl')).map((e) => e.id)).toEqual([first.id, later.id]);
  });

  test('without a key, each publish gets its own automatic key: the same content twice is stored twice, never a duplicate', async () => {
    const keyPrefix = uniquePrefix('idemauto');
    const publisher = deployment.publisher(keyPrefix);
    const a = await publisher.publish(statusEvent('execution:auto', 'same'));
    const b = await publisher.publish(statusEvent('execution:auto', 'same'));
    expect([a.duplicate, b.duplicate]).toEqual([false, false]);
    expect((await deployment.history(keyPrefix, 'execution:auto')).map((e) => e.id)).toEqual([a.id, b.id]);
  });
});

describe('a lost reply or a lost connection, on a private Redis', () => {
  let redis: PrivateRedis;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    ({ admin } = redis);
  });

  afterAll(() => redis.close());

  async function scriptCalls(): Promise<number> {
    const calls = await redis.commandCalls();
    return (calls['evalsha'] ?? 0) + (calls['eval'] ?? 0);
  }

  test('Redis answers after the attempt timed out (CLIENT PAUSE): retried with the same key, stored exactly once', async () => {
    const keyPrefix = uniquePrefix('paused');
    const publisher = createPublisher({ redisUrl: redis.url, keyPrefix, timeoutMs: 3000, retries: 2 });
    try {
      await publisher.publish(statusEvent('warm-up')); // connected, script loaded
      await admin.config('RESETSTAT');
      // Writes (the script) wait 1.5 s: the first attempt's share of 3 s (1 s) runs out first.
      await admin.client('PAUSE', 1500, 'WRITE');
      const { id, duplicate } = await publisher.publish(statusEvent('execution:p', 'paused'));
      expect(duplicate).toBe(false);
      expect(await scriptCalls()).toBeGreaterThanOrEqual(2); // the first attempt and at least one retry ran
      expect((await historyOf(admin, keyPrefix, 'execution:p')).map((e) => e.id)).toEqual([id]);
    } finally {
      await admin.client('UNPAUSE');
      await publisher.close();
    }
  });

  test('the connection is killed while the publish waits: retried on a new connection, stored exactly once', async () => {
    const keyPrefix = uniquePrefix('killed');
    const publisher = createPublisher({ redisUrl: redis.url, keyPrefix, timeoutMs: 4000 });
    try {
      await publisher.publish(statusEvent('warm-up'));
      await admin.client('PAUSE', 1000, 'WRITE');
      const pending = publisher.publish(statusEvent('execution:k', 'killed'));
      // The publisher's own connection is the only other client; kill it under its command.
      await waitFor(async () => /cmd=evalsha/.test(await clientList()), { message: 'the publish to wait in Redis' });
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      const { id } = await pending;
      expect((await historyOf(admin, keyPrefix, 'execution:k')).map((e) => e.id)).toEqual([id]);
    } finally {
      await admin.client('UNPAUSE');
      await publisher.close();
    }
  });

  async function clientList(): Promise<string> {
    return String(await admin.client('LIST'));
  }

  test('control: without keys nothing is retried, and a timed-out publish is stored after it was reported failed', async () => {
    const keyPrefix = uniquePrefix('unkeyed');
    const publisher = createPublisher({ redisUrl: redis.url, keyPrefix, timeoutMs: 500, automaticIdempotencyKeys: false });
    try {
      await publisher.publish(statusEvent('warm-up'));
      await admin.config('RESETSTAT');
      await admin.client('PAUSE', 1000, 'WRITE');
      await expect(publisher.publish(statusEvent('execution:u', 'unkeyed'))).rejects.toThrow(PublishTimeoutError);
      expect(await scriptCalls()).toBe(0); // still waiting in Redis
      // Once Redis resumes, the script runs: the event the caller was told failed is stored.
      await waitFor(async () => (await historyOf(admin, keyPrefix, 'execution:u')).length === 1, { message: 'the late store' });
      expect(await scriptCalls()).toBe(1); // and it was never sent twice
    } finally {
      await admin.client('UNPAUSE');
      await publisher.close();
    }
  });
});
