// A client resuming after its channel's history is gone — expired (HISTORY_TTL_S / historyTtlS),
// deleted, lost in a Redis restart without persistence, or held by an in-memory gateway that
// restarted — gets a 200 stream: `gateway.gap` for that channel, then live events. A browser's
// EventSource gives up for good on a 400, so a page left open overnight would die otherwise.
// With healthy channels beside a dead one, the healthy ones resume exactly.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { createEventValidator, createKeyspace, type EventInput, type PreparedEvent } from '@sse-gateway/publisher/protocol';
import { statusEvent } from '../helpers/events';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startRedisServer } from '../helpers/redis-server';
import { SseClient, type ReceivedEvent } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const status = (channel: string, value: 'running' | 'succeeded' = 'running'): EventInput => statusEvent(channel, channel, value);

const validator = createEventValidator();
/** Events for an in-memory gateway's bus, validated as the HTTP publish route does. */
const prepared = (channels: string[]): PreparedEvent[] => validator.prepare(channels.map((c) => status(c)));

const clients: SseClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

async function open(url: string, channels: string[], lastEventId?: string): Promise<SseClient> {
  const client = new SseClient(url, { channels, token: await mintToken(), lastEventId });
  clients.push(client);
  await client.waitForOpen();
  return client;
}

/** The cursor a client holds once it has the `count` events it waits for. */
async function cursorAfter(url: string, channels: string[], count: number): Promise<string> {
  const client = await open(url, channels, 'earliest');
  const events = await client.waitForEvents(count);
  client.close();
  return (events[count - 1] as ReceivedEvent).lastEventId;
}

function gaps(client: SseClient): unknown[] {
  return client.events.filter((e) => e.type === 'gateway.gap').map((e) => e.data.data);
}

describe('on Redis', () => {
  let prefix: string;
  let gw: TestGateway;
  let publisher: Publisher;
  beforeEach(async () => {
    prefix = uniquePrefix('lost');
    gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
  });
  afterEach(async () => {
    await publisher.close();
    await gw.close();
  });

  test('after the history expired (historyTtlS): 200, gateway.gap, then live events', async () => {
    publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix, historyTtlS: 1 });
    const { id } = await publisher.publish(status('execution:ttl'));
    const cursor = await cursorAfter(gw.url, ['execution:ttl'], 1);
    const redis = connectRedis();
    try {
      await waitFor(async () => (await redis.exists(createKeyspace(prefix).historyKey('execution:ttl'))) === 0, { timeoutMs: 5000, message: 'the history to expire' });
    } finally {
      await redis.quit();
    }
    const resumed = await open(gw.url, ['execution:ttl'], cursor);
    await waitFor(() => resumed.events.length > 0, { message: 'the gap notice' });
    expect(gaps(resumed)).toEqual([{ channel: 'execution:ttl', lastEventId: id, earliestId: null }]);
    const next = await publisher.publish(status('execution:ttl', 'succeeded'));
    expect((await resumed.waitForEvents(1)).map((e) => e.data.id)).toEqual([next.id]);
  });

  test('after DEL of one history key among three channels: a gap for it, the others resume exactly', async () => {
    publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
    const channels = ['execution:alive-1', 'execution:dead', 'execution:alive-2'];
    const first = await publisher.publishMany(channels.map((c) => status(c)));
    const cursor = await cursorAfter(gw.url, channels, 3);
    const missed = await publisher.publishMany([status('execution:alive-1', 'succeeded'), status('execution:alive-2', 'succeeded')]);
    const redis = connectRedis();
    try {
      await redis.del(createKeyspace(prefix).historyKey('execution:dead'));
    } finally {
      await redis.quit();
    }
    const resumed = await open(gw.url, channels, cursor);
    await resumed.waitForEvents(2);
    expect(gaps(resumed)).toEqual([{ channel: 'execution:dead', lastEventId: first.ids[1], earliestId: null }]);
    expect(resumed.published.map((e) => e.data.id)).toEqual(missed.ids);
    const live = await publisher.publishMany(channels.map((c) => status(c, 'succeeded')));
    await resumed.waitForEvents(5);
    expect(resumed.published.map((e) => e.data.id).slice(2)).toEqual(live.ids);
    expect(resumed.opens).toBe(1);
  });
});

test('after a Redis restart without persistence, on another gateway: a gap, then live events', async () => {
  const server = await startRedisServer({ persist: false });
  const first = await startGateway({ REDIS_URL: server.url });
  const other = await startGateway({ REDIS_URL: server.url });
  const publisher = createPublisher({ redisUrl: server.url, timeoutMs: 1000 });
  try {
    const { id } = await publisher.publish(status('execution:amnesia'));
    const cursor = await cursorAfter(first.url, ['execution:amnesia'], 1);
    await server.stop();
    await server.start();
    await waitFor(() => other.gateway.isReady(), { timeoutMs: 15000, message: 'the other gateway to reconnect' });
    const resumed = await open(other.url, ['execution:amnesia'], cursor);
    await waitFor(() => resumed.events.length > 0, { message: 'the gap notice' });
    expect(gaps(resumed)).toEqual([{ channel: 'execution:amnesia', lastEventId: id, earliestId: null }]);
    const next = await publisher.publish(status('execution:amnesia', 'succeeded'));
    expect((await resumed.waitForEvents(1)).map((e) => e.data.id)).toEqual([next.id]);
  } finally {
    for (const client of clients.splice(0)) client.close();
    await publisher.close();
    await Promise.all([first.close(), other.close()]);
    await server.dispose();
  }
});

test('after an in-memory gateway restarts: a gap for its forgotten channel, then live events', async () => {
  const before = await startGateway();
  const channels = ['execution:mem'];
  const [id] = (await before.gateway.bus.publish(prepared(channels))).ids;
  const cursor = await cursorAfter(before.url, channels, 1);
  await before.close();
  const after = await startGateway();
  try {
    const resumed = await open(after.url, channels, cursor);
    await waitFor(() => resumed.events.length > 0, { message: 'the gap notice' });
    expect(gaps(resumed)).toEqual([{ channel: 'execution:mem', lastEventId: id, earliestId: null }]);
    const [next] = (await after.gateway.bus.publish(prepared(channels))).ids;
    expect((await resumed.waitForEvents(1)).map((e) => e.data.id)).toEqual([next]);
  } finally {
    for (const client of clients.splice(0)) client.close();
    await after.close();
  }
});
