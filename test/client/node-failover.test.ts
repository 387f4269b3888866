// The client in Node through the test's load balancer to a gateway process on Redis: the gateway
// is SIGKILLed mid-stream (no drain) while a worker keeps publishing, and comes back on another
// port. The client reconnects by itself with its cursor: 0 lost, 0 duplicated, in order.
import { connect, type Stream } from '@sse-gateway/client';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway';
import { startLoadBalancer, type LoadBalancer } from '../helpers/lb-proxy';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';
import { countIds, publishPaced } from './support/paced';
import { record } from './support/recorder';

jest.setTimeout(60000);

const CHANNELS = ['execution:client-fo-a', 'execution:client-fo-b'];

let env: Record<string, string>;
const gateways: GatewayProcess[] = [];
let lb: LoadBalancer;
let publisher: Publisher;
let stream: Stream | undefined;

beforeAll(async () => {
  env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('clientfo'), RETRY_MS: '100' };
  gateways.push(await spawnGateway(env));
  lb = await startLoadBalancer([gateways[0]!.url]);
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: env['REDIS_KEY_PREFIX'] });
});

afterAll(async () => {
  stream?.close();
  await publisher.close();
  await lb.close();
  await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
});

test('a gateway SIGKILLed and restarted on another port behind the load balancer: 0 lost, 0 duplicated', async () => {
  stream = connect({ url: lb.url, channels: CHANNELS, token: () => mintToken({ subscribe: ['execution:*'] }) });
  const seen = record(stream);
  await seen.waitForState('open');

  const published = await publishPaced(publisher, CHANNELS, 20, 10);
  await seen.waitForEvents(20);

  const killed = gateways[0]!.kill('SIGKILL');
  const whileDown = publishPaced(publisher, CHANNELS, 40, 20);
  await killed;
  await seen.waitForState('reconnecting');
  const restarted = await spawnGateway(env); // another free port
  gateways.push(restarted);
  lb.backends = [restarted.url];
  const down = await whileDown;
  const after = await publishPaced(publisher, CHANNELS, 20, 10);
  for (const part of [down, after]) for (const [channel, ids] of part) published.get(channel)?.push(...ids);

  const total = countIds(published);
  await seen.waitForEvents(total, 20000);
  for (const channel of CHANNELS) {
    expect({ channel, ids: seen.events.filter((e) => e.channel === channel).map((e) => e.id) }).toEqual({ channel, ids: published.get(channel) });
  }
  expect(seen.events).toHaveLength(total);
  expect(seen.gaps).toEqual([]);
  expect(stream.state).toBe('open');
  expect(seen.errors.every((error) => !error.fatal)).toBe(true);
  expect(lb.served.get(restarted.url)).toBeGreaterThanOrEqual(1);
});
