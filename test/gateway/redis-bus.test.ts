// RedisBus behaviour that only Redis has: server-side subscriptions follow what local clients
// want, recovery after the subscriber connection or the whole server is lost, and errors that
// never escape. Blips use a private redis-server so other test files are not disturbed.
import type { Redis } from 'ioredis';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { RedisBus, type RedisBusOptions } from '../../gateway/src/bus/redis-bus';
import { Inbox } from '../contract/bus-contract';
import { progressEvents } from '../helpers/events';
import { connectedBus } from '../contract/connected-bus';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

function options(overrides: Partial<RedisBusOptions> = {}): RedisBusOptions & { keyPrefix: string } {
  return { keyPrefix: uniquePrefix('redisbus'), historyMaxLen: 1000, historyTtlS: 3600, ...overrides };
}

async function openBus(url: string, settings = options()): Promise<RedisBus> {
  const bus = new RedisBus({ mode: 'standalone', url }, settings);
  open.push(bus);
  return connectedBus(bus);
}

function openAdmin(url: string): Redis {
  const admin = connectRedis(url);
  open.push({ close: () => admin.quit() });
  return admin;
}

/** Live pub/sub channels under `prefix` with at least one subscriber on the server. */
async function serverChannels(admin: Redis, prefix: string): Promise<string[]> {
  return (await admin.pubsub('CHANNELS', `${prefix}:*`)).map(String).sort();
}

/** Resolves with the statuses reported until (and including) `until`. */
function statusesUntil(bus: RedisBus, until: (seen: boolean[]) => boolean, timeoutMs = 15000): Promise<boolean[]> {
  const seen: boolean[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`statuses so far: ${JSON.stringify(seen)}`)), timeoutMs);
    bus.onStatus((connected) => {
      seen.push(connected);
      if (until(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}
const downThenUp = (seen: boolean[]): boolean => seen.includes(false) && seen[seen.length - 1] === true;

describe('RedisBus subscriptions on the server', () => {
  test('only channels with a local subscriber are subscribed on Redis, and unsubscribe drops them', async () => {
    const settings = options();
    const keyspace = createKeyspace(settings.keyPrefix);
    const bus = await openBus(testRedisUrl(), settings);
    const admin = openAdmin(testRedisUrl());
    await bus.publish(progressEvents('exec:unwatched', 1));
    await bus.subscribe('exec:a', () => undefined);
    await bus.subscribe('exec:b', () => undefined);
    expect(await serverChannels(admin, settings.keyPrefix)).toEqual([keyspace.liveChannel('exec:a'), keyspace.liveChannel('exec:b')]);
    await bus.unsubscribe('exec:a');
    expect(await serverChannels(admin, settings.keyPrefix)).toEqual([keyspace.liveChannel('exec:b')]);
    await bus.unsubscribe('exec:b');
    expect(await serverChannels(admin, settings.keyPrefix)).toEqual([]);
  });

  test('a subscribe/unsubscribe race ends unsubscribed on the server; 200 channels come and go', async () => {
    const settings = options();
    const bus = await openBus(testRedisUrl(), settings);
    const admin = openAdmin(testRedisUrl());
    await Promise.all([bus.subscribe('exec:r', () => undefined), bus.unsubscribe('exec:r'), bus.subscribe('exec:r', () => undefined), bus.unsubscribe('exec:r')]);
    const channels = Array.from({ length: 200 }, (_, i) => `exec:many-${i}`);
    await Promise.all(channels.map((channel) => bus.subscribe(channel, () => undefined)));
    expect(await serverChannels(admin, settings.keyPrefix)).toHaveLength(200);
    await Promise.all(channels.map((channel) => bus.unsubscribe(channel)));
    expect(await serverChannels(admin, settings.keyPrefix)).toEqual([]);
  });

  test('a garbage message reaches the handler as raw bytes; a throwing handler does not stop the next message', async () => {
    const errors: Error[] = [];
    const settings = options({ onError: (error) => errors.push(error) });
    const bus = await openBus(testRedisUrl(), settings);
    const admin = openAdmin(testRedisUrl());
    const inbox = new Inbox();
    let calls = 0;
    await bus.subscribe('exec:g', (raw) => {
      calls += 1;
      if (calls === 1) throw new Error('handler bug');
      inbox.handler(raw);
    });
    const live = createKeyspace(settings.keyPrefix).liveChannel('exec:g');
    await admin.publish(live, 'first, thrown away');
    await admin.publish(live, Buffer.from([0xff, 0x00, 0x0a]));
    const [raw] = await inbox.waitFor(1);
    expect(raw).toEqual(Buffer.from([0xff, 0x00, 0x0a]));
    expect(errors.map((error) => error.message)).toEqual(['handler bug']);
  });

  test('description names host, port and db, never the password', async () => {
    const bus = new RedisBus({ mode: 'standalone', url: 'redis://user:s3cret-pass@127.0.0.1:1/2' }, options({ onError: () => undefined }));
    open.push(bus);
    expect(bus.description).toBe('Redis 127.0.0.1:1/2');
    expect(bus.connected).toBe(false);
  });
});

describe('RedisBus when Redis goes away', () => {
  let server: RedisServer;
  beforeEach(async () => {
    server = await startRedisServer({ persist: true });
    open.push({ close: () => server.dispose() }); // closed last, after the clients
  });

  test('CLIENT KILL TYPE pubsub: status false then true, subscriptions back, later messages delivered', async () => {
    const settings = options({ onError: () => undefined });
    const bus = await openBus(server.url, settings);
    const admin = openAdmin(server.url);
    const keyspace = createKeyspace(settings.keyPrefix);
    const inbox = new Inbox();
    await bus.subscribe('exec:k1', inbox.handler);
    await bus.subscribe('exec:k2', () => undefined);
    const statuses = statusesUntil(bus, downThenUp);
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(1);
    expect(await statuses).toEqual([false, true]);
    expect(bus.connected).toBe(true);
    expect(await serverChannels(admin, settings.keyPrefix)).toEqual([keyspace.liveChannel('exec:k1'), keyspace.liveChannel('exec:k2')]);
    const { ids: [id] } = await bus.publish(progressEvents('exec:k1', 1));
    await inbox.waitFor(1);
    expect(inbox.ids('exec:k1')).toEqual([id]);
  });

  test('a full stop and start: status false then true, subscriptions back, history kept, messages delivered', async () => {
    const settings = options({ onError: () => undefined });
    const bus = await openBus(server.url, settings);
    const keyspace = createKeyspace(settings.keyPrefix);
    const inbox = new Inbox();
    await bus.subscribe('exec:s', inbox.handler);
    const { ids: [before] } = await bus.publish(progressEvents('exec:s', 1));
    await inbox.waitFor(1);

    const down = statusesUntil(bus, (seen) => seen.includes(false));
    await server.stop();
    await down;
    expect(bus.connected).toBe(false);
    await expect(bus.head('exec:s')).rejects.toThrow();

    const up = statusesUntil(bus, (seen) => seen[seen.length - 1] === true);
    await server.start();
    await up;
    const admin = openAdmin(server.url);
    expect(await admin.pubsub('NUMSUB', keyspace.liveChannel('exec:s'))).toEqual([keyspace.liveChannel('exec:s'), 1]);
    expect(await bus.head('exec:s')).toBe(before);
    const { ids: [after] } = await bus.publish(progressEvents('exec:s', 1, 1));
    await inbox.waitFor(2);
    expect(inbox.ids('exec:s')).toEqual([before, after]);
  });

  test('while Redis is down, reads reject at once and a subscribe fails within the command timeout, leaving nothing behind', async () => {
    const settings = options({ onError: () => undefined, commandTimeoutMs: 300 });
    const bus = await openBus(server.url, settings);
    const keyspace = createKeyspace(settings.keyPrefix);
    const down = statusesUntil(bus, (seen) => seen.includes(false));
    await server.stop();
    await down;
    const started = Date.now();
    await expect(bus.history('exec:d', '0-0', 10)).rejects.toThrow();
    await expect(bus.publish(progressEvents('exec:d', 1))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(250);
    await expect(bus.subscribe('exec:d', () => undefined)).rejects.toThrow();
    await bus.unsubscribe('exec:never'); // never rejects

    const up = statusesUntil(bus, (seen) => seen[seen.length - 1] === true);
    await server.start();
    await up;
    const admin = openAdmin(server.url);
    // The queued SUBSCRIBE reached the server after the restart; the resync took it back.
    await waitFor(async () => (await serverChannels(admin, settings.keyPrefix)).length === 0, { message: 'no subscription left' });
    expect(await admin.pubsub('NUMSUB', keyspace.liveChannel('exec:d'))).toEqual([keyspace.liveChannel('exec:d'), 0]);
  });
});
