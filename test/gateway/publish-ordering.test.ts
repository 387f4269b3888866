// Publishers over HTTP (raw POSTs and the SDK's HTTP transport, through two gateways) and
// publishers straight into Redis (the SDK's Redis transport), all at once on one channel: a
// subscriber sees one stream with every event once, ids strictly increasing, and each
// publisher's own events in the order it published them.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { compareStreamIds } from '@sse-gateway/publisher/protocol';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';

const CHANNEL = 'execution:ordered';
const PER_PUBLISHER = 60;

let gateways: TestGateway[];
let prefix: string;

beforeAll(async () => {
  prefix = uniquePrefix('publishorder');
  gateways = [await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix }), await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix })];
});

afterAll(async () => {
  for (const gw of gateways) await gw.close();
});

const progress = (publisher: string, step: number): { channel: string; type: 'execution.progress'; data: { executionId: string; step: number; agent: string } } => ({
  channel: CHANNEL,
  type: 'execution.progress',
  data: { executionId: 'ordered', step, agent: publisher },
});

/** Sequential raw POSTs (each waits for its 202), as a worker in another language would. */
async function rawHttpPublisher(url: string, token: string, name: string): Promise<string[]> {
  const ids: string[] = [];
  for (let step = 0; step < PER_PUBLISHER; step++) {
    const response = await fetch(`${url}/v1/publish`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(progress(name, step)),
    });
    if (response.status !== 202) throw new Error(`${name}: ${response.status} ${await response.text()}`);
    ids.push(...((await response.json()) as { ids: string[] }).ids);
  }
  return ids;
}

/** Sequential SDK publishes, in batches of 3 every third step. */
async function sdkPublisher(publisher: Publisher, name: string): Promise<string[]> {
  const ids: string[] = [];
  for (let step = 0; step < PER_PUBLISHER; ) {
    if (step % 9 === 0 && step + 3 <= PER_PUBLISHER) {
      ids.push(...(await publisher.publishMany([0, 1, 2].map((i) => progress(name, step + i)))).ids);
      step += 3;
    } else {
      ids.push((await publisher.publish(progress(name, step))).id);
      step += 1;
    }
  }
  return ids;
}

test('HTTP and Redis publishers on one channel make one ordered stream', async () => {
  const [a, b] = gateways as [TestGateway, TestGateway];
  const subscriber = new SseClient(a.url, { channels: [CHANNEL], token: await mintToken({ subscribe: [CHANNEL] }) });
  const token = await mintToken({ sub: 'workers', publish: ['execution:*'] });
  const publishers: Publisher[] = [
    createPublisher({ gatewayUrl: a.url, token }),
    createPublisher({ gatewayUrl: b.url, token }),
    createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix }),
    createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix }),
  ];
  try {
    await subscriber.waitForOpen();
    const names = ['raw-a', 'raw-b', 'sdk-http-a', 'sdk-http-b', 'sdk-redis-1', 'sdk-redis-2'];
    const results = await Promise.all([
      rawHttpPublisher(a.url, token, 'raw-a'),
      rawHttpPublisher(b.url, token, 'raw-b'),
      ...publishers.map((publisher, i) => sdkPublisher(publisher, names[i + 2]!)),
    ]);
    const total = names.length * PER_PUBLISHER;
    const received = await subscriber.waitForEvents(total, 30000);
    expect(received).toHaveLength(total);

    const ids = received.map((event) => event.data.id!);
    for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    expect(new Set(ids)).toEqual(new Set(results.flat()));

    // Each publisher's events, in the order it published them, with the ids it was given.
    names.forEach((name, i) => {
      const own = received.filter((event) => (event.data.data as { agent: string }).agent === name);
      expect(own.map((event) => (event.data.data as { step: number }).step)).toEqual(Array.from({ length: PER_PUBLISHER }, (_, step) => step));
      expect(own.map((event) => event.data.id)).toEqual(results[i]);
    });
  } finally {
    subscriber.close();
    for (const publisher of publishers) await publisher.close();
  }
});
