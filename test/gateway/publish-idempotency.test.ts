// POST /v1/publish with idempotency keys (per event, and the Idempotency-Key header for a single
// event) and retained events, on the in-memory bus and on Redis, read back through the bus and
// GET /v1/channels/{channel}/state.
import type { ExecutionStatus } from '@sse-gateway/schemas';
import type { PublishEvent } from '@sse-gateway/publisher';
import { statusEvent, type EventExtras } from '../helpers/events';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { httpJson, SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const buses: [string, () => Record<string, string>][] = [
  ['in-memory bus', () => ({})],
  ['Redis bus', () => ({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('pubidem') })],
];

interface Accepted {
  ids: string[];
  duplicates: number[];
}

const status = (channel: string, state: ExecutionStatus['status'] = 'running', extras: EventExtras = {}): PublishEvent => statusEvent(channel, channel, state, extras);

describe.each(buses)('idempotent and retained HTTP publish on the %s', (_name, env) => {
  let gw: TestGateway;
  let token: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    gw = await startGateway({ ...env(), IDEMPOTENCY_TTL_S: '2' });
    token = await mintToken({ sub: 'worker', subscribe: ['execution:*'], publish: ['execution:*'] });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await gw.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}): ReturnType<typeof httpJson> =>
    httpJson(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const ids = async (channel: string): Promise<string[]> => (await gw.gateway.bus.history(channel, '0-0', 100)).map((e) => e.id);

  test('per event in a batch: the repeat answers the first ids and lists the duplicates; subscribers get each event once', async () => {
    const client = new SseClient(gw.url, { channels: ['execution:b1'], token });
    clients.push(client);
    await client.waitForOpen();
    const batch = [status('execution:b1', 'queued', { idempotencyKey: 'a' }), status('execution:b1', 'running', { idempotencyKey: 'b' })];
    const first = await post(batch);
    expect(first.status).toBe(202);
    expect((first.body as Accepted).duplicates).toEqual([]);
    const again = await post([status('execution:b1', 'succeeded', { idempotencyKey: 'c' }), ...batch]);
    expect(again.status).toBe(202);
    const { ids: againIds, duplicates } = again.body as Accepted;
    expect(duplicates).toEqual([1, 2]);
    expect(againIds.slice(1)).toEqual((first.body as Accepted).ids);
    const received = await client.waitForEvents(3);
    expect(received.map((event) => event.data.id)).toEqual([...(first.body as Accepted).ids, againIds[0]]);
    expect(await ids('execution:b1')).toEqual([...(first.body as Accepted).ids, againIds[0]]);
  });

  test('the Idempotency-Key header for a single event; a key reused after IDEMPOTENCY_TTL_S publishes again', async () => {
    const first = await post(status('execution:h1'), { 'Idempotency-Key': 'order-7' });
    const again = await post(status('execution:h1', 'failed'), { 'Idempotency-Key': 'order-7' });
    expect(first.body).toEqual({ ids: [expect.any(String)], duplicates: [] });
    expect(again.body).toEqual({ ids: (first.body as Accepted).ids, duplicates: [0] });
    // The same key in the body is the same key.
    expect((await post(status('execution:h1', 'queued', { idempotencyKey: 'order-7' }))).body).toEqual(again.body);
    const started = Date.now();
    // A duplicate stores nothing: asking until it is not one has no side effect.
    const later = await waitFor(async () => {
      const answer = (await post(status('execution:h1'), { 'Idempotency-Key': 'order-7' })).body as Accepted;
      return answer.duplicates.length === 0 ? answer : undefined;
    }, { timeoutMs: 6000, intervalMs: 100, message: 'the key to expire' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(await ids('execution:h1')).toEqual([(first.body as Accepted).ids[0], later?.ids[0]]);
  });

  test('400 for the header on a batch, a header that contradicts the body, and a key over 128 characters; nothing stored', async () => {
    const onBatch = await post([status('execution:h2')], { 'Idempotency-Key': 'x' });
    expect(onBatch.status).toBe(400);
    expect((onBatch.body as { error: { code: string } }).error.code).toBe('bad_request');
    const contradicts = await post(status('execution:h2', 'running', { idempotencyKey: 'y' }), { 'Idempotency-Key': 'x' });
    expect(contradicts.status).toBe(400);
    const long = await post(status('execution:h2', 'running', { idempotencyKey: 'k'.repeat(129) }));
    expect(long.status).toBe(400);
    expect((long.body as { error: { errors: { path: string }[] } }).error.errors).toEqual([{ path: '/idempotencyKey', message: expect.stringContaining('128') }]);
    expect((await post(status('execution:h2', 'running', { idempotencyKey: 'k'.repeat(128) }))).status).toBe(202);
    expect(await ids('execution:h2')).toHaveLength(1);
  });

  test('retain: true keeps the latest of each type, read back with GET /v1/channels/{channel}/state', async () => {
    const channel = 'execution:r1';
    const answer = await post([
      status(channel, 'queued', { retain: true }),
      { channel, type: 'execution.progress', data: { executionId: 'r1', step: 1 }, retain: true },
      status(channel, 'running', { retain: true }),
      status(channel, 'failed'), // not retained
    ]);
    const published = (answer.body as Accepted).ids;
    const state = await httpJson(`${gw.url}/v1/channels/${channel}/state`, { headers: { Authorization: `Bearer ${token}` } });
    expect(state.status).toBe(200);
    const events = (state.body as { events: { id: string; type: string; data: { status?: string } }[] }).events;
    expect(events.map((event) => [event.id, event.type])).toEqual([
      [published[1], 'execution.progress'],
      [published[2], 'execution.status'],
    ]);
    expect(events[1]?.data.status).toBe('running');
    expect((await post({ ...status(channel), retain: 'yes' })).status).toBe(400);
  });
});
