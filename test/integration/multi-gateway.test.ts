// Two gateway processes on one Redis: every client gets every event in order, and a gateway
// subscribes on Redis only to the channels its own clients want.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import type { Redis } from 'ioredis';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const prefix = uniquePrefix('multi');
const keys = createKeyspace(prefix);
let gateways: GatewayProcess[] = [];
let publisher: Publisher;
let redis: Redis;
const clients: SseClient[] = [];

beforeAll(async () => {
  const env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix };
  gateways = await Promise.all([spawnGateway(env), spawnGateway(env)]);
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
  redis = connectRedis();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await publisher?.close();
  await redis?.quit();
  await Promise.all(gateways.map((g) => g.kill('SIGTERM')));
});

/** Subscriber connections on Redis per live channel of ours, by client name. */
async function subscribersOf(channel: string): Promise<number> {
  const [, count] = (await redis.pubsub('NUMSUB', keys.liveChannel(channel))) as [string, number];
  return count;
}

test('clients on either gateway receive every event, in order; idle gateways subscribe to nothing', async () => {
  const token = await mintToken();
  const [g1, g2] = gateways as [GatewayProcess, GatewayProcess];
  for (const [gateway, channels] of [
    [g1, ['execution:shared']],
    [g2, ['execution:shared']],
    [g2, ['execution:shared', 'execution:only-g2']],
  ] as const) {
    const client = new SseClient(gateway.url, { channels: [...channels], token });
    clients.push(client);
    await client.waitForOpen();
  }
  // Each gateway holds one subscription per channel, however many of its clients want it.
  expect(await subscribersOf('execution:shared')).toBe(2);
  expect(await subscribersOf('execution:only-g2')).toBe(1);
  expect(await subscribersOf('execution:nobody')).toBe(0);
  const live = (await redis.pubsub('CHANNELS', `${prefix}:*`)) as string[];
  expect(live.sort()).toEqual([keys.liveChannel('execution:only-g2'), keys.liveChannel('execution:shared')].sort());

  const shared: string[] = [];
  const onlyG2: string[] = [];
  for (let i = 0; i < 100; i++) {
    const channel = i % 4 === 0 ? 'execution:only-g2' : 'execution:shared';
    const { id } = await publisher.publish({ channel, type: 'execution.progress', data: { executionId: 'x', step: i } });
    (channel === 'execution:shared' ? shared : onlyG2).push(id);
  }
  await publisher.publish({ channel: 'execution:nobody', type: 'execution.status', data: { executionId: 'n', status: 'queued' } });

  const [a, b, c] = clients as [SseClient, SseClient, SseClient];
  expect((await a.waitForEvents(shared.length)).map((e) => e.data.id)).toEqual(shared);
  expect((await b.waitForEvents(shared.length)).map((e) => e.data.id)).toEqual(shared);
  const both = await c.waitForEvents(shared.length + onlyG2.length);
  expect(both.filter((e) => e.data.channel === 'execution:shared').map((e) => e.data.id)).toEqual(shared);
  expect(both.filter((e) => e.data.channel === 'execution:only-g2').map((e) => e.data.id)).toEqual(onlyG2);

  // The last client leaving a channel unsubscribes its gateway.
  c.close();
  await waitFor(async () => (await subscribersOf('execution:only-g2')) === 0, { message: 'g2 to unsubscribe execution:only-g2' });
  expect(await subscribersOf('execution:shared')).toBe(2);
});
