// GET /v1/stream on a real gateway (in this process) over Redis: headers, envelope, fan-out,
// multiple channels, heartbeats, and the opening cursor.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { compileEnvelopeValidator } from '@sse-gateway/schemas';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { parseBlocks, rawStream, SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

let gw: TestGateway;
let publisher: Publisher;
const clients: SseClient[] = [];
const validateEnvelope = compileEnvelopeValidator();

beforeAll(async () => {
  const prefix = uniquePrefix('stream');
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, HEARTBEAT_MS: '200', RETRY_MS: '1500' });
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  await publisher.close();
  await gw.close();
});

async function client(channels: string[], extra: { lastEventId?: string } = {}): Promise<SseClient> {
  const c = new SseClient(gw.url, { channels, token: await mintToken({ subscribe: ['*'] }), ...extra });
  clients.push(c);
  await c.waitForOpen();
  return c;
}

test('the stream starts with SPEC headers, retry and a cursor, then heartbeats', async () => {
  const token = await mintToken();
  const stream = await rawStream(gw.url, '/v1/stream?channel=execution:h1', { Authorization: `Bearer ${token}` });
  try {
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers['cache-control']).toBe('no-cache, no-transform');
    expect(stream.response.headers['connection']).toBe('keep-alive');
    expect(stream.response.headers['x-accel-buffering']).toBe('no');
    await waitFor(() => stream.blocks().filter((b) => b['comment'] === 'hb').length >= 2, { message: 'two heartbeats' });
    const [opening] = stream.blocks();
    expect(opening?.['retry']).toBe('1500');
    expect(opening?.['id']).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(opening?.['data']).toBeUndefined();
  } finally {
    stream.close();
  }
});

test('every subscriber of a channel gets each event once, in order, as a SPEC envelope', async () => {
  const a = await client(['execution:fan']);
  const b = await client(['execution:fan']);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    ids.push((await publisher.publish({ channel: 'execution:fan', type: 'execution.progress', data: { executionId: 'fan', step: i } })).id);
  }
  for (const c of [a, b]) {
    const events = await c.waitForEvents(20);
    expect(events.map((e) => e.data.id)).toEqual(ids);
    for (const event of events) {
      expect(validateEnvelope(event.data)).toEqual([]);
      expect(event.type).toBe('execution.progress');
      expect(event.data.channel).toBe('execution:fan');
    }
    expect(new Set(events.map((e) => e.lastEventId)).size).toBe(20);
  }
});

test('one connection follows several channels; each bundled type arrives with its data', async () => {
  const c = await client(['execution:m1', 'execution:m2']);
  const sent = [
    { channel: 'execution:m1', type: 'execution.status', data: { executionId: 'm1', status: 'running' } },
    { channel: 'execution:m2', type: 'execution.progress', data: { executionId: 'm2', step: 1, totalSteps: 3, percent: 33.3, agent: 'a', task: 't' } },
    { channel: 'execution:m1', type: 'execution.log', data: { executionId: 'm1', level: 'info', message: 'hello\nworld "quoted" ✓' } },
    { channel: 'execution:m2', type: 'execution.output', data: { executionId: 'm2', output: { rows: [1, 2] }, final: true } },
    { channel: 'execution:m1', type: 'execution.error', data: { executionId: 'm1', error: { code: 'E1', message: 'boom' } } },
  ] as const;
  const { ids } = await publisher.publishMany(sent);
  const events = await c.waitForEvents(sent.length);
  // Ids are per channel: two channels may both have an event `<ms>-0`.
  const byKey = new Map(events.map((e) => [`${e.data.channel} ${e.data.id}`, e]));
  sent.forEach((event, i) => {
    const got = byKey.get(`${event.channel} ${ids[i]}`);
    expect(got?.type).toBe(event.type);
    expect(got?.data.channel).toBe(event.channel);
    expect(got?.data.data).toEqual(event.data);
  });
  // Per-channel order.
  for (const channel of ['execution:m1', 'execution:m2']) {
    const got = events.filter((e) => e.data.channel === channel).map((e) => e.data.id);
    expect(got).toEqual(ids.filter((_, i) => sent[i]?.channel === channel));
  }
});

test('a client only receives the channels it asked for', async () => {
  const c = await client(['execution:only-a']);
  await publisher.publish({ channel: 'execution:only-b', type: 'execution.status', data: { executionId: 'b', status: 'queued' } });
  const { id } = await publisher.publish({ channel: 'execution:only-a', type: 'execution.status', data: { executionId: 'a', status: 'queued' } });
  const events = await c.waitForEvents(1);
  expect(events.map((e) => e.data.id)).toEqual([id]);
});

test('an HTTP/1.0 client (a proxy speaking 1.0 upstream) gets the same SSE bytes without chunking', async () => {
  const { connect } = await import('node:net');
  const token = await mintToken();
  const socket = connect({ port: Number(new URL(gw.url).port), host: '127.0.0.1' });
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  try {
    socket.write(`GET /v1/stream?channel=execution:h10 HTTP/1.0\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    await waitFor(() => text.includes('\r\n\r\n') && text.split('\r\n\r\n')[1]?.includes('\n\n'), { message: 'the head and the opening block' });
    const { id } = await publisher.publish({ channel: 'execution:h10', type: 'execution.status', data: { executionId: 'h', status: 'running' } });
    await waitFor(() => text.includes(`"id":"${id}"`), { message: 'the event' });
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    const blocks = parseBlocks(body);
    expect(blocks[0]?.['retry']).toBe('1500');
    expect(blocks.find((b) => b['event'] === 'execution.status')?.['data']).toContain(`"id":"${id}"`);
  } finally {
    socket.destroy();
  }
});
