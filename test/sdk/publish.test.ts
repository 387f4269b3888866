// What a published event becomes in Redis: an entry of its channel's history stream under the
// returned id, and a `<prev> <envelope>` message on its live pub/sub channel.
import { compileEnvelopeValidator } from '@sse-gateway/schemas';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { compareStreamIds, createKeyspace } from '@sse-gateway/publisher/protocol';
import type { Redis } from 'ioredis';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';
import { statusEvent } from '../helpers/events';
import { keysUnder, listenLive, readHistory } from './support';

const validateEnvelope = compileEnvelopeValidator();
let redis: Redis;
const publishers: Publisher[] = [];

function newPublisher(keyPrefix: string, options: { historyMaxLen?: number; historyTtlS?: number } = {}): Publisher {
  const publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix, ...options });
  publishers.push(publisher);
  return publisher;
}

beforeAll(() => {
  redis = connectRedis();
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.close()));
  await redis.quit();
});

test('a published event is in its channel stream under the returned id and announced live as `<prev> <envelope>`', async () => {
  const keyPrefix = uniquePrefix('publish');
  const publisher = newPublisher(keyPrefix);
  const live = await listenLive(keyPrefix, 'execution:42');
  try {
    const before = Date.now();
    const { id } = await publisher.publish({
      channel: 'execution:42',
      type: 'execution.progress',
      data: { executionId: '42', step: 3, totalSteps: 10, agent: 'researcher', message: 'line\nbreak "quoted" é' },
    });
    const after = Date.now();

    const [entry] = await readHistory(redis, keyPrefix, 'execution:42');
    expect(entry?.id).toBe(id);
    expect(entry?.prev).toBe('0-0');

    const [message] = await live.waitFor(1);
    expect(message?.prev).toBe('0-0');
    const envelope: unknown = JSON.parse(message?.envelope ?? '');
    expect(validateEnvelope(envelope)).toEqual([]);
    expect(envelope).toEqual({
      id,
      channel: 'execution:42',
      type: 'execution.progress',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { executionId: '42', step: 3, totalSteps: 10, agent: 'researcher', message: 'line\nbreak "quoted" é' },
    });
    const time = Date.parse((envelope as { time: string }).time);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
    // The envelope is one line (safe after `data: `) and the stream holds the very same bytes.
    expect(message?.envelope).not.toMatch(/[\r\n]/);
    expect(entry?.envelope).toBe(message?.envelope);
  } finally {
    await live.close();
  }
});

test('ids increase within a channel, sequential, concurrent and batched alike, and each entry records the previous id', async () => {
  const keyPrefix = uniquePrefix('order');
  const publisher = newPublisher(keyPrefix);
  const live = await listenLive(keyPrefix, 'crew:7:runs');
  try {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await publisher.publish(statusEvent('crew:7:runs', String(i)))).id);
    const concurrent = await Promise.all(Array.from({ length: 30 }, (_, i) => publisher.publish(statusEvent('crew:7:runs', `c${i}`))));
    const batch = await publisher.publishMany(Array.from({ length: 30 }, (_, i) => statusEvent('crew:7:runs', `b${i}`)));

    for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1] as string, ids[i] as string)).toBeLessThan(0);
    const all = [...ids, ...concurrent.map((r) => r.id), ...batch.ids];
    expect(new Set(all).size).toBe(80);

    // The stream order is the id order, and `p` chains every entry to the one before it.
    const history = await readHistory(redis, keyPrefix, 'crew:7:runs');
    expect(history.map((e) => e.id)).toEqual([...all].sort(compareStreamIds));
    expect(history.map((e) => e.prev)).toEqual(['0-0', ...history.slice(0, -1).map((e) => e.id)]);
    // The batch kept its order: ids[k] belongs to events[k].
    for (const [k, id] of batch.ids.entries()) {
      expect(JSON.parse(history.find((e) => e.id === id)?.envelope ?? '{}').data.executionId).toBe(`b${k}`);
    }

    // Live messages carry the same chain, in the same order.
    const messages = await live.waitFor(80);
    expect(messages.map((m) => (JSON.parse(m.envelope) as { id: string }).id)).toEqual(history.map((e) => e.id));
    expect(messages.map((m) => m.prev)).toEqual(history.map((e) => e.prev));
  } finally {
    await live.close();
  }
});

test('channels are independent: each has its own stream, chain and live channel', async () => {
  const keyPrefix = uniquePrefix('channels');
  const publisher = newPublisher(keyPrefix);
  const { ids } = await publisher.publishMany([statusEvent('a', '1'), statusEvent('b', '2'), statusEvent('a', '3')]);
  const a = await readHistory(redis, keyPrefix, 'a');
  const b = await readHistory(redis, keyPrefix, 'b');
  expect(a.map((e) => [e.id, e.prev])).toEqual([
    [ids[0], '0-0'],
    [ids[2], ids[0]],
  ]);
  expect(b.map((e) => [e.id, e.prev])).toEqual([[ids[1], '0-0']]);
  const keyspace = createKeyspace(keyPrefix);
  // Besides the streams, only the publisher's automatic idempotency keys, each in its channel's slot.
  const keys = await keysUnder(redis, keyPrefix);
  expect(keys.filter((key) => !key.includes('}:idem:')).sort()).toEqual([keyspace.historyKey('a'), keyspace.historyKey('b')].sort());
  expect(keys.filter((key) => key.includes('}:idem:')).map((key) => key.slice(0, key.indexOf('}:idem:') + 1)).sort()).toEqual([`${keyPrefix}:{a}`, `${keyPrefix}:{a}`, `${keyPrefix}:{b}`]);
  // Automatic keys only guard one call's retries: remembered 10 minutes, not idempotencyTtlS (a day).
  for (const key of keys.filter((k) => k.includes('}:idem:'))) {
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  }
});

test('history keeps exactly historyMaxLen events, the newest, and the chain still names the trimmed ones', async () => {
  const keyPrefix = uniquePrefix('maxlen');
  const publisher = newPublisher(keyPrefix, { historyMaxLen: 5 });
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push((await publisher.publish(statusEvent('execution:1', String(i)))).id);
  ids.push(...(await publisher.publishMany(Array.from({ length: 12 }, (_, i) => statusEvent('execution:1', `b${i}`)))).ids);

  const history = await readHistory(redis, keyPrefix, 'execution:1');
  expect(history.map((e) => e.id)).toEqual(ids.slice(-5)); // exact, not `~`
  expect(history.map((e) => e.prev)).toEqual(ids.slice(-6, -1));
  expect(await redis.xlen(createKeyspace(keyPrefix).historyKey('execution:1'))).toBe(5);
});

test('every write refreshes the history TTL to historyTtlS', async () => {
  const keyPrefix = uniquePrefix('ttl');
  const publisher = newPublisher(keyPrefix, { historyTtlS: 3600 });
  const key = createKeyspace(keyPrefix).historyKey('execution:1');
  await publisher.publish(statusEvent('execution:1', '1'));
  expect(await redis.ttl(key)).toBeGreaterThan(3590);
  await redis.expire(key, 10);
  await publisher.publishMany([statusEvent('execution:1', '2')]);
  expect(await redis.ttl(key)).toBeGreaterThan(3590);
});

test('history expires historyTtlS after the last event', async () => {
  const keyPrefix = uniquePrefix('expire');
  const publisher = newPublisher(keyPrefix, { historyTtlS: 1 });
  const key = createKeyspace(keyPrefix).historyKey('execution:1');
  await publisher.publish(statusEvent('execution:1', '1'));
  const pttl = await redis.pttl(key);
  expect(pttl).toBeGreaterThan(0);
  expect(pttl).toBeLessThanOrEqual(1000);
  await waitFor(async () => (await redis.exists(key)) === 0, { timeoutMs: 5000, message: 'the history to expire' });
});

test('publishMany of nothing stores nothing and resolves with no ids', async () => {
  const keyPrefix = uniquePrefix('empty');
  const publisher = newPublisher(keyPrefix);
  await expect(publisher.publishMany([])).resolves.toEqual({ ids: [], duplicates: [] });
  expect(await keysUnder(redis, keyPrefix)).toEqual([]);
});
