// `GET /v1/stream?...&state=1`: a page that opens late still shows the latest retained event of
// each type first — after the history expired, after a gap, or live — and never twice: events its
// cursor covers are not sent, and retained events the replay writes anyway come once, in order.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { createKeyspace, type EventInput } from '@sse-gateway/publisher/protocol';
import { logEvent, progressEvent, statusEvent } from '../helpers/events';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { SseClient, type ReceivedEvent } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

type Retained = EventInput & { retain?: boolean };

// Retained unless said otherwise: what this file is about.
const status = (channel: string, value: 'queued' | 'running' | 'succeeded', retain = true): Retained => statusEvent(channel, channel, value, { retain });
const progress = (channel: string, step: number, retain = true): Retained => progressEvent(channel, step, { retain });
const log = (channel: string, message: string): Retained => logEvent(channel, message);

let prefix: string;
let gw: TestGateway;
let publisher: Publisher;
const clients: SseClient[] = [];

beforeEach(async () => {
  prefix = uniquePrefix('state');
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await publisher.close();
  await gw.close();
});

async function open(channels: string[], lastEventId?: string): Promise<SseClient> {
  const client = new SseClient(gw.url, { channels, token: await mintToken(), lastEventId, query: { state: '1' } });
  clients.push(client);
  await client.waitForOpen();
  return client;
}

const ids = (events: ReceivedEvent[]): (string | undefined)[] => events.map((e) => e.data.id);

test('opening live with state=1 after the history expired: the latest retained event of each type, oldest first, then live events', async () => {
  const channel = 'execution:late';
  const short = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix, historyTtlS: 1 });
  try {
    await short.publish(status(channel, 'queued'));
    const step = await short.publish(progress(channel, 1));
    await short.publish(log(channel, 'not retained'));
    const running = await short.publish(status(channel, 'running'));
    const redis = connectRedis();
    try {
      await waitFor(async () => (await redis.exists(createKeyspace(prefix).historyKey(channel))) === 0, { timeoutMs: 5000, message: 'the history to expire' });
    } finally {
      await redis.quit();
    }
    const client = await open([channel]);
    await client.waitForEvents(2);
    expect(ids(client.events)).toEqual([step.id, running.id]); // by id: progress was retained before the last status
    const live = await short.publish(status(channel, 'succeeded'));
    await client.waitForEvents(3);
    expect(ids(client.events)).toEqual([step.id, running.id, live.id]);
    expect(client.events.every((e) => e.type !== 'gateway.gap')).toBe(true);
  } finally {
    await short.close();
  }
});

test('a cursor and state=1 after a gap: the gap, then the retained events, then what history kept, then live', async () => {
  const channel = 'execution:gapstate';
  const trim = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix, historyMaxLen: 3 });
  try {
    await trim.publish(log(channel, 'seen'));
    const cursorClient = new SseClient(gw.url, { channels: [channel], token: await mintToken(), lastEventId: 'earliest' });
    clients.push(cursorClient);
    const [seen] = await cursorClient.waitForEvents(1);
    cursorClient.close();
    const running = await trim.publish(status(channel, 'running'));
    const kept = await trim.publishMany([log(channel, 'a'), log(channel, 'b'), log(channel, 'c')]); // trims `running` from history
    const client = await open([channel], seen?.lastEventId);
    await client.waitForEvents(4);
    expect(client.events.map((e) => e.type)).toEqual(['gateway.gap', 'execution.status', 'execution.log', 'execution.log', 'execution.log']);
    expect(client.events[0]?.data.data).toEqual({ channel, lastEventId: seen?.data.id, earliestId: kept.ids[0] });
    expect(ids(client.published)).toEqual([running.id, ...kept.ids]);
    const live = await trim.publish(log(channel, 'live'));
    await client.waitForEvents(5);
    expect(ids(client.published).at(-1)).toBe(live.id);
  } finally {
    await trim.close();
  }
});

test('retained events the cursor covers are not sent, and ones the replay writes come once', async () => {
  const channel = 'execution:covered';
  const before = await publisher.publish(status(channel, 'queued'));
  const watcher = new SseClient(gw.url, { channels: [channel], token: await mintToken(), lastEventId: 'earliest' });
  clients.push(watcher);
  const [first] = await watcher.waitForEvents(1);
  watcher.close();
  const after = await publisher.publishMany([progress(channel, 1), status(channel, 'running'), log(channel, 'x')]);
  const resumed = await open([channel], first?.lastEventId);
  await resumed.waitForEvents(3);
  // `queued` is covered by the cursor; progress and running are in the replay and come once.
  expect(ids(resumed.published)).toEqual(after.ids);
  expect(before.id).toBe(first?.data.id);
  const again = await open([channel], resumed.published.at(-1)?.lastEventId);
  const live = await publisher.publish(log(channel, 'y'));
  await again.waitForEvents(1);
  expect(ids(again.published)).toEqual([live.id]); // the cursor covers every retained event
});

test('state=1 on several channels: each channel\'s retained events, on one stream', async () => {
  const [a, b] = ['execution:sa', 'execution:sb'];
  const ra = await publisher.publish(status(a, 'running'));
  const rb = await publisher.publish(status(b, 'succeeded'));
  const client = await open([a, b]);
  await client.waitForEvents(2);
  expect(ids(client.published)).toEqual([ra.id, rb.id]);
});
