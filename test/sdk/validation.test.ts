// Invalid events are never sent: each case rejects with EventValidationError listing every
// problem, and nothing reaches Redis (no key under the test's prefix, no live message).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublisher, EventValidationError, type AnyPublishEvent, type Publisher } from '@sse-gateway/publisher';
import type { ValidationProblem } from '@sse-gateway/schemas';
import type { Redis } from 'ioredis';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { statusEvent } from '../helpers/events';
import { clearKeys, keysUnder, listenLive, type LiveListener } from './support';

const keyPrefix = uniquePrefix('validation');
const extraTypes = mkdtempSync(join(tmpdir(), 'sse-extra-types-'));
let redis: Redis;
let publisher: Publisher;
let live: LiveListener;

beforeAll(async () => {
  // A permissive user type: its schema accepts anything, so only serialisation can refuse a value.
  writeFileSync(join(extraTypes, 'custom.anything.schema.json'), JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema' }));
  redis = connectRedis();
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix, schemasDir: extraTypes, maxEventBytes: 2048 });
  live = await listenLive(keyPrefix, 'execution:1');
});

afterAll(async () => {
  await publisher.close();
  await live.close();
  await redis.quit();
  rmSync(extraTypes, { recursive: true, force: true });
});

afterEach(async () => {
  // Nothing stored and nothing announced by the rejected events.
  expect(await keysUnder(redis, keyPrefix)).toEqual([]);
  expect(live.messages).toEqual([]);
});

/** Publishes an event given as plain JavaScript (as an untyped caller would) and returns the problems it was rejected with. */
async function rejectionOf(event: unknown): Promise<readonly ValidationProblem[]> {
  const error: unknown = await publisher.publish(event as AnyPublishEvent).then(
    () => new Error('published'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EventValidationError);
  return (error as EventValidationError).errors;
}

const status = { executionId: '1', status: 'running' };

test('unknown type', async () => {
  expect(await rejectionOf({ channel: 'execution:1', type: 'execution.unknown', data: status })).toEqual([
    { path: '/type', message: 'unknown event type "execution.unknown" (no schema)' },
  ]);
});

test('data failing its schema: every problem listed with its path', async () => {
  const problems = await rejectionOf({
    channel: 'execution:1',
    type: 'execution.progress',
    data: { step: -1, percent: 101, agent: '', colour: 'red' },
  });
  expect(problems).toEqual(
    expect.arrayContaining([
      { path: '/data', message: "must have required property 'executionId'" },
      { path: '/data', message: 'unknown property "colour"' },
      { path: '/data/step', message: 'must be >= 0' },
      { path: '/data/percent', message: 'must be <= 100' },
      { path: '/data/agent', message: 'must NOT have fewer than 1 characters' },
    ]),
  );
  expect(problems).toHaveLength(5);
});

test('a value outside an enum names the allowed values', async () => {
  expect(await rejectionOf({ channel: 'execution:1', type: 'execution.status', data: { executionId: '1', status: 'sleeping' } })).toEqual([
    { path: '/data/status', message: 'must be equal to one of the allowed values: ["queued","running","succeeded","failed","cancelled"]' },
  ]);
});

test.each([
  ['a space', 'execution 1'],
  ['a newline', 'execution:1\n'],
  ['a carriage return', 'exec\rution'],
  ['a hash-tag brace', 'execution:{1}'],
  ['a leading separator', ':execution'],
  ['nothing', ''],
  ['201 characters', 'e'.repeat(201)],
  ['a number', 42],
])('channel with %s', async (_what, channel) => {
  expect(await rejectionOf({ channel, type: 'execution.status', data: status })).toEqual([
    { path: '/channel', message: expect.stringContaining('must match') },
  ]);
});

test('a 200-character channel is accepted', async () => {
  const channel = `c${'x'.repeat(199)}`;
  const { id } = await publisher.publish(statusEvent(channel, '1'));
  expect(id).toMatch(/^\d+-\d+$/);
  // Its history stream and its idempotency key (the publisher's automatic one).
  const keys = await keysUnder(redis, keyPrefix);
  expect(keys).toEqual(expect.arrayContaining([`${keyPrefix}:{${channel}}:history`, expect.stringMatching(/:idem:/)]));
  await redis.del(...keys);
});

test.each([
  ['a newline', 'execution.status\n'],
  ['a newline inside', 'execution\n.status'],
  ['capitals', 'Execution.Status'],
  ['201 characters', `a${'.b'.repeat(100)}`],
])('type with %s', async (_what, type) => {
  expect(await rejectionOf({ channel: 'execution:1', type, data: status })).toEqual([
    { path: '/type', message: expect.stringContaining('must match') },
  ]);
});

test.each(['gateway.gap', 'gateway.token_expired', 'gateway.anything'])('reserved type %s', async (type) => {
  expect(await rejectionOf({ channel: 'execution:1', type, data: { channel: 'x', lastEventId: '1-0', earliestId: null } })).toEqual([
    { path: '/type', message: `"${type}" is reserved for the gateway's own events` },
  ]);
});

test('missing channel, type and data are each reported', async () => {
  expect(await rejectionOf({})).toEqual([
    { path: '/channel', message: 'is required' },
    { path: '/type', message: 'is required' },
    { path: '/data', message: 'is required' },
  ]);
});

test.each([
  ['a string', 'running'],
  ['an array', [status]],
  ['null', null],
  ['a number', 1],
])('non-object data: %s', async (_what, data) => {
  expect(await rejectionOf({ channel: 'execution:1', type: 'execution.status', data })).toEqual([{ path: '/data', message: 'must be object' }]);
});

test('an event that is not an object, or has unknown properties', async () => {
  expect(await rejectionOf('execution:1')).toEqual([{ path: '/', message: 'an event must be an object { channel, type, data }' }]);
  expect(await rejectionOf({ ...statusEvent('execution:1', '1'), id: '1-1' })).toEqual([{ path: '/id', message: 'unknown property' }]);
});

describe('oversize events', () => {
  // The size is the bytes of the event's compact JSON `{"channel","type","data"}`, the body an HTTP publisher would send.
  const eventOfBytes = (bytes: number) => {
    const event = { channel: 'execution:1', type: 'custom.anything', data: { text: '' } };
    const base = Buffer.byteLength(JSON.stringify(event));
    // 'é' is 2 bytes in UTF-8: the limit counts bytes, not characters.
    event.data.text = 'é'.repeat(Math.floor((bytes - base) / 2)) + 'x'.repeat((bytes - base) % 2);
    expect(Buffer.byteLength(JSON.stringify(event))).toBe(bytes);
    return event;
  };

  test('an event of exactly maxEventBytes is accepted', async () => {
    await publisher.publish(eventOfBytes(2048) as AnyPublishEvent);
    await live.waitFor(1);
    live.messages.length = 0;
    await clearKeys(redis, keyPrefix);
  });

  test('one byte more is refused, with the size and the limit', async () => {
    expect(await rejectionOf(eventOfBytes(2049))).toEqual([{ path: '/', message: 'event is 2049 bytes, over the limit of 2048' }]);
  });

  test('the default limit is 65536 bytes', async () => {
    const defaults = createPublisher({ redisUrl: testRedisUrl(), keyPrefix });
    try {
      const big = { channel: 'execution:1', type: 'execution.output', data: { executionId: '1', output: 'x'.repeat(70000) } };
      await expect(defaults.publish(big)).rejects.toThrow(/event is 700\d\d bytes, over the limit of 65536/);
    } finally {
      await defaults.close();
    }
  });
});

describe('data that has no JSON form', () => {
  test('a BigInt', async () => {
    expect(await rejectionOf({ channel: 'execution:1', type: 'execution.output', data: { executionId: '1', output: { n: 10n } } })).toEqual([
      { path: '/data', message: 'cannot be serialised to JSON (Do not know how to serialize a BigInt)' },
    ]);
  });

  test('a cycle', async () => {
    const output: Record<string, unknown> = {};
    output['self'] = output;
    expect(await rejectionOf({ channel: 'execution:1', type: 'execution.output', data: { executionId: '1', output } })).toEqual([
      { path: '/data', message: expect.stringMatching(/^cannot be serialised to JSON \(Converting circular structure to JSON/) },
    ]);
  });

  test('a function or a symbol, even where the schema accepts anything', async () => {
    expect(await rejectionOf({ channel: 'execution:1', type: 'custom.anything', data: () => 1 })).toEqual([
      { path: '/data', message: 'cannot be serialised to JSON (function)' },
    ]);
    expect(await rejectionOf({ channel: 'execution:1', type: 'custom.anything', data: Symbol('s') })).toEqual([
      { path: '/data', message: 'cannot be serialised to JSON (symbol)' },
    ]);
  });
});

describe('publishMany is all or nothing', () => {
  test('one bad event among 1,000: nothing stored, the error names it by index', async () => {
    const events: unknown[] = Array.from({ length: 1000 }, (_, i) => statusEvent('execution:1', String(i)));
    events[637] = { channel: 'execution:1', type: 'execution.status', data: { executionId: '637', status: 'paused' } };
    const error: unknown = await publisher.publishMany(events as AnyPublishEvent[]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).errors).toEqual([{ path: '/637/data/status', message: expect.stringContaining('allowed values') }]);
    expect((error as EventValidationError).message).toContain('/637/data/status');
  });

  test('every problem of every event is listed', async () => {
    const events = [statusEvent('execution:1', '0'), { channel: 'bad channel', type: 'nope', data: status }, statusEvent('execution:1', '2'), { channel: 'execution:1', type: 'execution.status' }];
    const error: unknown = await publisher.publishMany(events as AnyPublishEvent[]).catch((e: unknown) => e);
    expect((error as EventValidationError).errors).toEqual([
      { path: '/1/channel', message: expect.stringContaining('must match') },
      { path: '/1/type', message: 'unknown event type "nope" (no schema)' },
      { path: '/3/data', message: 'is required' },
    ]);
  });

  test('something other than an array', async () => {
    await expect(publisher.publishMany('events' as unknown as AnyPublishEvent[])).rejects.toThrow(EventValidationError);
  });
});

test('a type added with schemasDir is published and validated like a bundled one', async () => {
  const { id } = await publisher.publish({ channel: 'execution:1', type: 'custom.anything', data: [1, 'two'] });
  const [message] = await live.waitFor(1);
  expect(JSON.parse(message?.envelope ?? '{}')).toMatchObject({ id, type: 'custom.anything', data: [1, 'two'] });
  live.messages.length = 0;
  await clearKeys(redis, keyPrefix);
});
