// Redis blips under running gateways: the subscriber connection killed, and Redis restarted with
// persistence. Events published meanwhile reach every client exactly once.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { Redis } from 'ioredis';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { expectExactDelivery, openFleet, storedIds, type Fleet } from './support';

jest.setTimeout(60000);

const CHANNELS = ['execution:blip-0', 'execution:blip-1', 'execution:blip-2', 'execution:blip-3'];
const PREFIX = 'sse';

let server: RedisServer;
let gateways: TestGateway[];
let publisher: Publisher;
let admin: Redis;
let fleet: Fleet | undefined;

describe('with data kept', () => {
  beforeEach(async () => {
    server = await startRedisServer({ persist: true });
    gateways = await Promise.all([startGateway({ REDIS_URL: server.url, RETRY_MS: '100' }), startGateway({ REDIS_URL: server.url, RETRY_MS: '100' })]);
    publisher = createPublisher({ redisUrl: server.url, timeoutMs: 1000 });
    admin = new Redis(server.url, { maxRetriesPerRequest: null });
    admin.on('error', () => undefined);
  });

  afterEach(async () => {
    fleet?.close();
    await publisher.close();
    admin.disconnect();
    await Promise.all(gateways.map((g) => g.close()));
    await server.dispose();
  });

  /**
   * Publishes `total` events one by one, retrying each until Redis confirms it. A failed attempt may
   * still have been stored (the reply was lost), which is why the truth is read back from Redis.
   */
  async function publishThrough(total: number, at: (sent: number) => Promise<void> | void): Promise<string[]> {
    const confirmed: string[] = [];
    for (let sent = 0; sent < total; sent++) {
      await at(sent);
      for (;;) {
        try {
          const event = { channel: CHANNELS[sent % CHANNELS.length] as string, type: 'execution.progress', data: { executionId: 'b', step: sent } };
          confirmed.push((await publisher.publish(event)).id);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50)); // Redis is down: try again shortly
        }
      }
    }
    return confirmed;
  }

  async function truth(): Promise<Map<string, string[]>> {
    return new Map(await Promise.all(CHANNELS.map(async (c) => [c, await storedIds(admin, PREFIX, c)] as [string, string[]])));
  }

  async function openClients(): Promise<Fleet> {
    const token = await mintToken();
    const fleets = await Promise.all(gateways.map((g) => openFleet(g.url, token, CHANNELS, 6)));
    return { clients: fleets.flatMap((f) => f.clients), close: () => fleets.forEach((f) => f.close()) };
  }

  test('the gateways subscriber connections are killed while events are published', async () => {
    fleet = await openClients();
    await publishThrough(400, async (sent) => {
      if (sent % 100 === 50) await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    });
    await expectExactDelivery(fleet, await truth());
    // The streams themselves never broke: the gateways caught up from history.
    expect(fleet.clients.every(({ client }) => client.opens === 1)).toBe(true);
  });

  test('Redis is restarted (data kept) while events are published', async () => {
    fleet = await openClients();
    const confirmed = await publishThrough(300, async (sent) => {
      if (sent !== 150) return;
      await server.stop();
      await waitFor(() => gateways.every((g) => !g.gateway.isReady()), { message: 'the gateways to notice' });
      await server.start();
    });
    const expected = await truth();
    expect([...expected.values()].flat()).toEqual(expect.arrayContaining(confirmed));
    await expectExactDelivery(fleet, expected).catch(async (error: Error) => {
      const logs = gateways.flatMap((g) => g.logs.filter((l) => !l.includes('"stream ')));
      const live = CHANNELS.map((c) => createKeyspace(PREFIX).liveChannel(c));
      const numsub = await admin.pubsub('NUMSUB', ...live);
      throw new Error(`${error.message}\nsubscribers per channel: ${JSON.stringify(numsub)}\ngateway logs:\n${logs.slice(-30).join('\n')}`);
    });
    expect(fleet.clients.every(({ client }) => client.opens === 1)).toBe(true);
  });
});

test('Redis restarted empty: connected clients are told with gateway.gap, then get the new events', async () => {
  const empty = await startRedisServer({ persist: false });
  const gw = await startGateway({ REDIS_URL: empty.url });
  const pub = createPublisher({ redisUrl: empty.url, timeoutMs: 1000 });
  const token = await mintToken();
  const client = new SseClient(gw.url, { channels: ['execution:amnesia'], token });
  try {
    await client.waitForOpen();
    const before = await pub.publish({ channel: 'execution:amnesia', type: 'execution.status', data: { executionId: 'a', status: 'running' } });
    await client.waitForEvents(1);
    await empty.stop();
    await waitFor(() => !gw.gateway.isReady(), { message: 'the gateway to notice' });
    await empty.start();
    await waitFor(() => gw.gateway.isReady(), { timeoutMs: 15000, message: 'the gateway to reconnect' });
    const after = await pub.publish({ channel: 'execution:amnesia', type: 'execution.status', data: { executionId: 'a', status: 'succeeded' } });
    await client.waitForEvents(2);
    const gap = client.events.find((e) => e.type === 'gateway.gap');
    expect(gap?.data.data).toEqual({ channel: 'execution:amnesia', lastEventId: before.id, earliestId: after.id });
    expect(client.events.map((e) => e.type)).toEqual(['execution.status', 'gateway.gap', 'execution.status']);
    expect(client.opens).toBe(1);
  } finally {
    client.close();
    await pub.close();
    await gw.close();
    await empty.dispose();
  }
});
