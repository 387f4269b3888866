// Nothing lost through a load balancer while gateways die: 50 browser-style clients (the
// `eventsource` package resends Last-Event-ID itself) on 3 gateway processes; one is SIGKILLed
// and another SIGTERMed mid-stream, then all of them are killed and restarted.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import type { Redis } from 'ioredis';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway';
import { startLoadBalancer, type LoadBalancer } from '../helpers/lb-proxy';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';
import { expectExactDelivery, openFleet, storedIds, type Fleet } from './support';

jest.setTimeout(90000);

const CHANNELS = Array.from({ length: 10 }, (_, i) => `execution:fo-${i}`);

let prefix: string;
let env: Record<string, string>;
let gateways: GatewayProcess[];
let lb: LoadBalancer;
let publisher: Publisher;
let redis: Redis;
let fleet: Fleet | undefined;

beforeEach(async () => {
  prefix = uniquePrefix('failover');
  env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, RETRY_MS: '100', SHUTDOWN_GRACE_MS: '3000', LOG_LEVEL: 'info' };
  gateways = await Promise.all([spawnGateway(env), spawnGateway(env), spawnGateway(env)]);
  lb = await startLoadBalancer(gateways.map((g) => g.url));
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
  redis = connectRedis();
});

afterEach(async () => {
  fleet?.close();
  await publisher.close();
  await redis.quit();
  await lb.close();
  await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
});

/** Publishes `total` events round-robin over the channels in batches, calling `at(i)` before batch i. */
async function publishAll(total: number, batch: number, pauseMs: number, at: (sent: number) => Promise<void> | void): Promise<void> {
  for (let sent = 0; sent < total; sent += batch) {
    await at(sent);
    await publisher.publishMany(
      Array.from({ length: batch }, (_, k) => ({
        channel: CHANNELS[(sent + k) % CHANNELS.length] as string,
        type: 'execution.progress',
        data: { executionId: 'fo', step: sent + k },
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, pauseMs)); // pacing the publisher, not waiting for a result
  }
}

async function expected(): Promise<Map<string, string[]>> {
  return new Map(await Promise.all(CHANNELS.map(async (c) => [c, await storedIds(redis, prefix, c)] as [string, string[]])));
}

test('2,000 events while one gateway is SIGKILLed and another SIGTERMed: every client gets exactly its events', async () => {
  fleet = await openFleet(lb.url, await mintToken(), CHANNELS, 50);
  const [first, second] = gateways as [GatewayProcess, GatewayProcess];
  await publishAll(2000, 20, 30, async (sent) => {
    if (sent === 600) await first.kill('SIGKILL');
    if (sent === 1200) second.child.kill('SIGTERM');
  });
  await expectExactDelivery(fleet, await expected());
  expect(await second.exited).toBe(0);
  // Clients did move: the survivor served reconnections.
  expect(fleet.clients.some(({ client }) => client.opens > 1)).toBe(true);
});

test('all gateways killed and restarted while publishing goes on: the same exactness', async () => {
  fleet = await openFleet(lb.url, await mintToken(), CHANNELS, 50);
  await publishAll(1200, 20, 30, async (sent) => {
    if (sent !== 400) return;
    await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
    gateways = await Promise.all([spawnGateway(env), spawnGateway(env), spawnGateway(env)]);
    lb.backends = gateways.map((g) => g.url);
  });
  await expectExactDelivery(fleet, await expected());
  expect(fleet.clients.every(({ client }) => client.opens >= 2)).toBe(true);
});
