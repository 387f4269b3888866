// `npm run cluster`'s topology for real (deploy/local/cluster.ts): Redis, three gateway processes
// (gateway/dist/main.js, built by `npm test`'s type-check step), nginx with the compose LB config.
// A client connected through the load balancer keeps receiving every event, exactly once and in
// order, while the gateway serving it is killed (SIGKILL) and then the next one drains (SIGTERM).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { REPO_ROOT, startCluster, type LocalCluster, type LocalGateway } from '../../deploy/local/cluster';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const CHANNEL = 'cluster-test:1';

describe('the local cluster (npm run cluster)', () => {
  let cluster: LocalCluster | undefined;
  let publisher: Publisher | undefined;
  let client: SseClient | undefined;
  let sent = 0;

  beforeAll(async () => {
    const main = join(REPO_ROOT, 'gateway', 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test builds it)`);
    // A short retry hint: the client reconnects 200 ms after losing its gateway.
    cluster = await startCluster({ worker: false, gatewayEnv: { RETRY_MS: '200', LOG_LEVEL: 'warn' } });
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

  const received = (): string[] => client!.published.map((event) => (event.data.data as { message: string }).message);
  const expected = (): string[] => Array.from({ length: sent }, (_, i) => `#${i + 1}`);

  async function connections(gateway: LocalGateway): Promise<number> {
    if (!gateway.process.isRunning()) return 0;
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    return Number(/^sse_connections (\d+)/m.exec(text)?.[1] ?? 0);
  }

  /** The one gateway holding the client's stream (the load balancer chose it). */
  async function servingGateway(): Promise<LocalGateway> {
    return waitFor(async () => {
      const counts = await Promise.all(cluster!.gateways.map(connections));
      return counts.reduce((a, b) => a + b, 0) === 1 ? cluster!.gateways[counts.indexOf(1)] : undefined;
    }, { message: 'exactly one gateway holding the stream' });
  }

  it('delivers through the load balancer, and goes on when the serving gateway is killed, then drained', async () => {
    const token = await mintToken({ sub: 'cluster-test', subscribe: ['cluster-test:*'] }, cluster!.jwtSecret);
    client = new SseClient(cluster!.url, { channels: [CHANNEL], token });
    await client.waitForOpen();
    await publish(5);
    await client.waitForEvents(5);

    const first = await servingGateway();
    await first.process.stop({ signal: 'SIGKILL' });
    await publish(5); // while the client finds another gateway
    await client.waitForEvents(10, 20000);
    const second = await servingGateway();
    expect(second).not.toBe(first);

    const drained = second.process.stop({ signal: 'SIGTERM' });
    await publish(5);
    expect((await drained).code).toBe(0);
    await client.waitForEvents(15, 20000);
    const third = await servingGateway();
    expect([first, second]).not.toContain(third);

    expect(received()).toEqual(expected());
    expect(client.opens).toBeGreaterThanOrEqual(3);
  }, 60000);
});
