// The connection side of publishing: Redis lost and back, close(), and a connection the caller
// owns. Each test that stops Redis runs its own server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  createPublisher,
  PublisherClosedError,
  PublisherError,
  PublishTimeoutError,
  TransportError,
  type Publisher,
} from '@sse-gateway/publisher';
import { freePort } from '../helpers/free-port';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startRedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';
import { readHistory } from './support';
import { statusEvent } from '../helpers/events';

/** Collects unhandled rejections while `body` runs and one macrotask after it. */
async function withoutUnhandledRejections(body: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', record);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', record);
  }
  expect(unhandled).toEqual([]);
}

// Unreachable Redis, a silent peer and close() while waiting: test/contract/transport-contract.ts.

test('Redis stopped mid-way: publish fails clearly, and works again once Redis is back', async () => {
  const server = await startRedisServer();
  const keyPrefix = uniquePrefix('restart');
  const publisher = createPublisher({ redisUrl: server.url, keyPrefix, timeoutMs: 1000 });
  try {
    await withoutUnhandledRejections(async () => {
      await publisher.publish(statusEvent('execution:1', 'before'));
      await server.stop();

      const error: unknown = await publisher.publish(statusEvent('execution:1', 'during')).catch((e: unknown) => e);
      // Depending on whether the client saw the socket close before the command, it is refused on
      // the dead connection (TransportError) or waits for a new one until the deadline.
      expect(error).toBeInstanceOf(PublisherError);
      expect([TransportError, PublishTimeoutError].some((type) => error instanceof type)).toBe(true);
      expect((error as Error).message).toContain(`127.0.0.1:${server.port}`);

      await server.start();
      // The restarted Redis has an empty script cache: the SDK must load the script again by itself.
      const { id } = await waitFor(() => publisher.publish(statusEvent('execution:1', 'after')), {
        timeoutMs: 15000,
        message: 'a publish to succeed after the restart',
      });
      const admin = connectRedis(server.url);
      try {
        const history = await readHistory(admin, keyPrefix, 'execution:1');
        // The server kept nothing across the restart (no persistence): only the event stored after it.
        expect(history.map((e) => e.id)).toEqual([id]);
        expect(history.map((e) => JSON.parse(e.envelope).data.executionId)).toEqual(['after']);
      } finally {
        await admin.quit();
      }
    });
  } finally {
    await publisher.close();
    await server.dispose();
  }
});

test('many publishes waiting for Redis at once: no listener warning (they share one wait)', async () => {
  // In a process of its own: Node prints its MaxListenersExceededWarning there, on stderr.
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'waiting-publishes.ts'), `redis://127.0.0.1:${port}`, '30'], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  // Each waited (through its retries) for the connection that never came, until its deadline.
  expect(JSON.parse(stdout)).toEqual({ PublishTimeoutError: 30 });
});

test('publish and publishMany after close() reject with PublisherClosedError; close() twice is fine', async () => {
  const publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: uniquePrefix('closed') });
  await publisher.publish(statusEvent('execution:1', '1'));
  await publisher.close();
  await publisher.close();
  await expect(publisher.publish(statusEvent('execution:1', '2'))).rejects.toThrow(PublisherClosedError);
  await expect(publisher.publishMany([statusEvent('execution:1', '3')])).rejects.toThrow(PublisherClosedError);
  await expect(publisher.publishMany([])).rejects.toThrow(PublisherClosedError);
});

describe('a connection the caller owns ({ redis })', () => {
  let redis: Redis;
  beforeEach(() => {
    redis = new Redis(testRedisUrl());
  });
  afterEach(async () => {
    if (redis.status !== 'end') await redis.quit();
  });

  test('is used, and publisher.close() leaves it open', async () => {
    const keyPrefix = uniquePrefix('owned');
    const publisher: Publisher = createPublisher({ redis, keyPrefix });
    const { id } = await publisher.publish(statusEvent('execution:1', '1'));
    await publisher.close();
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
    expect((await readHistory(redis, keyPrefix, 'execution:1')).map((e) => e.id)).toEqual([id]);
    expect(redis.listenerCount('error')).toBe(0);
  });

  test('with an ioredis keyPrefix is refused: ioredis would prefix the stream but not the pub/sub channel', () => {
    const prefixed = new Redis(testRedisUrl(), { keyPrefix: 'app:', lazyConnect: true });
    expect(() => createPublisher({ redis: prefixed })).toThrow(/must not have a keyPrefix/);
    prefixed.disconnect();
  });
});

describe('options are checked when the publisher is created', () => {
  test.each([
    ['not a URL', 'localhost 6379', /redisUrl is not a URL/],
    ['another scheme', 'http://127.0.0.1:6379', /must start with redis:\/\/ or rediss:\/\//],
    ['a path that is not a db number', 'redis://127.0.0.1:6379/abc', /database number/],
  ])('redisUrl: %s', (_what, redisUrl, message) => {
    expect(() => createPublisher({ redisUrl })).toThrow(message);
  });

  test('a malformed redisUrl never echoes its password', () => {
    expect(() => createPublisher({ redisUrl: 'redis://:pw-secret@127.0.0.1:63 79' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('pw-secret') }),
    );
  });

  test.each([
    ['timeoutMs', { timeoutMs: 0 }],
    ['historyMaxLen', { historyMaxLen: -1 }],
    ['historyTtlS', { historyTtlS: 1.5 }],
    ['maxEventBytes', { maxEventBytes: Number.NaN }],
  ])('%s must be a positive integer', (name, option) => {
    expect(() => createPublisher({ redisUrl: testRedisUrl(), ...option })).toThrow(new RegExp(`${name} must be a positive integer`));
  });

  test('keyPrefix must be a plain name', () => {
    expect(() => createPublisher({ redisUrl: testRedisUrl(), keyPrefix: 'a{b}' })).toThrow(/key prefix must match/);
  });
});
