// `npm run cluster`'s topology for real (deploy/local/cluster.ts): Redis, three gateway processes
// (gateway/dist/main.js, built by `npm test`'s type-check step), the demo process and nginx with
// the compose LB config. Clients connect through the load balancer only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { REPO_ROOT, startCluster, type ClusterOptions, type LocalCluster, type LocalGateway } from '../../deploy/local/cluster';
import { connectRedis } from '../helpers/redis';
import { scrapeMetric } from '../helpers/metrics';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

async function start(options: ClusterOptions): Promise<LocalCluster> {
  const main = join(REPO_ROOT, 'gateway', 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test builds it)`);
  // A short retry hint: clients reconnect 200 ms after losing their gateway.
  return startCluster({ ...options, gatewayEnv: { RETRY_MS: '200', LOG_LEVEL: 'warn' } });
}

async function connections(gateway: LocalGateway): Promise<number> {
  if (!gateway.process.isRunning()) return 0;
  return scrapeMetric(gateway.url, 'sse_connections');
}

/** The one gateway holding the (only) client's stream: the load balancer chose it. */
function servingGateway(cluster: LocalCluster): Promise<LocalGateway> {
  return waitFor(async () => {
    const counts = await Promise.all(cluster.gateways.map(connections));
    return counts.reduce((a, b) => a + b, 0) === 1 ? cluster.gateways[counts.indexOf(1)] : undefined;
  }, { message: 'exactly one gateway holding the stream' });
}

describe('the local cluster (npm run cluster) with the demo', () => {
  let cluster: LocalCluster | undefined;
  let client: SseClient | undefined;

  beforeAll(async () => {
    cluster = await start({});
  }, 60000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  }, 60000);

  it('serves the demo page, and a client with its token keeps receiving the crew\'s events when its gateway is killed', async () => {
    const page = await fetch(`${cluster!.url}/demo/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const { token, channel } = (await (await fetch(`${cluster!.url}/demo/token`)).json()) as { token: string; channel: string };

    client = new SseClient(cluster!.url, { channels: [channel], token });
    await client.waitForEvents(3, 20000);
    const serving = await servingGateway(cluster!);
    await serving.process.stop({ signal: 'SIGKILL' });
    const before = client.published.length;
    await client.waitForEvents(before + 3, 20000);
    expect(await servingGateway(cluster!)).not.toBe(serving);
    expect(client.opens).toBeGreaterThanOrEqual(2);

    // Exactly what the demo stored in Redis over that span: nothing missed, nothing twice.
    const ids = client.published.map((event) => event.data.id!);
    const redis = connectRedis(cluster!.redisUrl);
    try {
      const stored = await redis.xrange(createKeyspace().historyKey(channel), ids[0]!, ids.at(-1)!);
      expect(ids).toEqual(stored.map(([id]) => id));
    } finally {
      await redis.quit();
    }
  }, 60000);
});

describe('the local cluster (npm run cluster), gateways failing one after the other', () => {
  const CHANNEL = 'cluster-test:1';
  let cluster: LocalCluster | undefined;
  let publisher: Publisher | undefined;
  let client: SseClient | undefined;
  let sent = 0;

  beforeAll(async () => {
    cluster = await start({ demo: false });
    publisher = createPublisher({ redisUrl: cluster.redisUrl });
  }, 60000);

  afterAll(async () => {
    client?.close();
    await publisher?.close();
    await cluster?.stop();
  }, 60000);

  async function publish(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      sent += 1;
      await publisher!.publish({ channel: CHANNEL, type: 'execution.log', data: { executionId: '1', level: 'info', message: `#${sent}` } });
    }
  }

  it('delivers every event once, in order, while the serving gateway is killed, then the next one drained', async () => {
    const token = await mintToken({ sub: 'cluster-test', subscribe: ['cluster-test:*'] }, cluster!.jwtSecret);
    client = new SseClient(cluster!.url, { channels: [CHANNEL], token });
    await client.waitForOpen();
    await publish(5);
    await client.waitForEvents(5);

    const first = await servingGateway(cluster!);
    await first.process.stop({ signal: 'SIGKILL' });
    await publish(5); // while the client finds another gateway
    await client.waitForEvents(10, 20000);
    const second = await servingGateway(cluster!);
    expect(second).not.toBe(first);

    const drained = second.process.stop({ signal: 'SIGTERM' });
    await publish(5);
    expect((await drained).code).toBe(0);
    await client.waitForEvents(15, 20000);
    const third = await servingGateway(cluster!);
    expect([first, second]).not.toContain(third);

    const messages = client.published.map((event) => (event.data.data as { message: string }).message);
    expect(messages).toEqual(Array.from({ length: sent }, (_, i) => `#${i + 1}`));
    // The third gateway counts the stream when it joins, before the response head reaches the
    // client: the client's third `open` may come a moment after servingGateway() saw it.
    await waitFor(() => client!.opens >= 3, { message: "the client's third stream to open", detail: () => `opens: ${client!.opens}` });
  }, 60000);
});
