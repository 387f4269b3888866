// What must not hurt a gateway or its other clients: churn, slow readers, garbage on the bus,
// a Redis restart.
import { connect, type Socket } from 'node:net';
import { createPublisher } from '@sse-gateway/publisher';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startRedisServer } from '../helpers/redis-server';
import { httpJson, rawStream, SseClient } from '../helpers/sse-client';
import { metricValue } from '../helpers/metrics';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

async function metric(gw: TestGateway, name: string, labels = ''): Promise<number> {
  return metricValue(await gw.gateway.metrics.registry.metrics(), name, labels);
}

/** Timers alive in this process (one-shot Immediates excluded: they cannot leak). */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('1,000 clients connect and leave: no connection, subscription or timer remains', async () => {
  const prefix = uniquePrefix('churn');
  const gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' });
  const redis = connectRedis();
  try {
    const token = await mintToken();
    const timersBefore = timers();
    for (let batch = 0; batch < 10; batch++) {
      const streams = await Promise.all(
        Array.from({ length: 100 }, (_, i) => rawStream(gw.url, `/v1/stream?channel=execution:churn-${i % 25}&channel=execution:all`, { Authorization: `Bearer ${token}` })),
      );
      expect(streams.every((s) => s.response.statusCode === 200)).toBe(true);
      for (const stream of streams) stream.close();
    }
    await waitFor(() => gw.gateway.hub.streams.size === 0, { message: 'every connection to close' });
    expect(await metric(gw, 'sse_connections')).toBe(0);
    expect(gw.gateway.hub.channelCount).toBe(0);
    await waitFor(async () => ((await redis.pubsub('CHANNELS', `${prefix}:*`)) as string[]).length === 0, { message: 'no Redis subscription left' });
    // A flush may still be pending for a few ms; a timer per connection would never go.
    await waitFor(() => timers() <= timersBefore, { message: `timers back to ${timersBefore} (now ${timers()})` });
  } finally {
    await redis.quit();
    await gw.close();
  }
});

test('a client that stops reading is cut over CLIENT_BUFFER_BYTES; the others keep up', async () => {
  const prefix = uniquePrefix('slow');
  const gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, CLIENT_BUFFER_BYTES: '65536' });
  const publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
  const token = await mintToken();
  const fast = new SseClient(gw.url, { channels: ['execution:slow'], token });
  let slow: Socket | undefined;
  try {
    await fast.waitForOpen();
    const port = new URL(gw.url).port;
    slow = connect({ port: Number(port), host: '127.0.0.1' });
    slow.write(`GET /v1/stream?channel=execution:slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    slow.pause(); // never reads: the kernel buffers fill, then the gateway's
    await waitFor(() => gw.gateway.hub.streams.size === 2, { message: 'the slow client to connect' });
    const message = 'x'.repeat(15000);
    const total = 600; // ~9 MB: far beyond loopback socket buffers plus 64 KB
    for (let i = 0; i < total; i += 50) {
      await publisher.publishMany(Array.from({ length: 50 }, (_, k) => ({ channel: 'execution:slow', type: 'execution.log', data: { executionId: 's', level: 'info', message: `${i + k} ${message}` } })));
    }
    const events = await fast.waitForEvents(total, 30000);
    expect(events.map((e) => (e.data.data as { message: string }).message.split(' ')[0])).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    expect(await metric(gw, 'sse_slow_client_disconnects_total')).toBe(1);
    expect(gw.gateway.hub.streams.size).toBe(1);
    expect(fast.opens).toBe(1);
  } finally {
    slow?.destroy();
    fast.close();
    await publisher.close();
    await gw.close();
  }
});

test('garbage on a live channel is dropped and counted; the next event arrives', async () => {
  const prefix = uniquePrefix('garbage');
  const gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
  const publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
  const redis = connectRedis();
  const client = new SseClient(gw.url, { channels: ['execution:g'], token: await mintToken() });
  try {
    await client.waitForOpen();
    const live = createKeyspace(prefix).liveChannel('execution:g');
    await redis.publish(live, 'garbage');
    await redis.publish(live, '0-0 {"id":"1-1","channel":"execution:g"}'); // no type, time or data
    await redis.publish(live, '0-0 {"id":"1-1","channel":"execution:other","type":"x","time":"t","data":1}');
    await redis.publish(live, '0-0 {"id":"1-1",\n"channel":"execution:g","type":"x","time":"t","data":1}');
    const { id } = await publisher.publish({ channel: 'execution:g', type: 'execution.status', data: { executionId: 'g', status: 'running' } });
    const events = await client.waitForEvents(1);
    expect(events.map((e) => e.data.id)).toEqual([id]);
    expect(await metric(gw, 'sse_events_dropped_total', '{reason="malformed"}')).toBe(2);
    expect(await metric(gw, 'sse_events_dropped_total', '{reason="invalid_envelope"}')).toBe(1);
    expect(await metric(gw, 'sse_events_dropped_total', '{reason="wrong_channel"}')).toBe(1);
    expect(client.opens).toBe(1);
  } finally {
    client.close();
    await redis.quit();
    await publisher.close();
    await gw.close();
  }
});

test('Redis restarted under a running gateway: not ready, then ready; clients stay and get new events', async () => {
  const server = await startRedisServer({ persist: true });
  const gw = await startGateway({ REDIS_URL: server.url });
  const client = new SseClient(gw.url, { channels: ['execution:restart'], token: await mintToken() });
  try {
    await client.waitForOpen();
    await server.stop();
    await waitFor(async () => (await httpJson(`${gw.url}/readyz`)).status === 503, { message: '/readyz 503' });
    expect(await metric(gw, 'sse_bus_connected')).toBe(0);
    await server.start();
    await waitFor(async () => (await httpJson(`${gw.url}/readyz`)).status === 200, { timeoutMs: 15000, message: '/readyz 200 again' });
    expect(await metric(gw, 'sse_bus_connected')).toBe(1);
    const publisher = createPublisher({ redisUrl: server.url });
    try {
      const { id } = await publisher.publish({ channel: 'execution:restart', type: 'execution.status', data: { executionId: 'r', status: 'running' } });
      const events = await client.waitForEvents(1);
      expect(events.map((e) => e.data.id)).toEqual([id]);
      expect(client.opens).toBe(1);
    } finally {
      await publisher.close();
    }
  } finally {
    client.close();
    await gw.close();
    await server.dispose();
  }
});
