// POST /v1/publish fuzzed through real HTTP on a gateway with Redis: any body (JSON shapes,
// batches, garbage bytes, oversize), media type, content coding and token gives 202 with one id
// per event or a typed 4xx JSON error from the catalogue — never a 5xx — and every 202's events,
// and only those, are stored and counted.
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { createKeyspace, historyEntryOf, type Keyspace } from '@sse-gateway/publisher/protocol';
import { ERRORS } from '../../gateway/src/errors';
import { asJson, validEvent } from '../helpers/event-arbitraries';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { runs } from '../helpers/property';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';
import { errorOf, exchange, metric } from './support/http';

const MAX_BYTES = 4096;
let gw: TestGateway;
let keys: Keyspace;
let redis: Redis;
let tokens: (string | undefined)[];

beforeAll(async () => {
  keys = createKeyspace(uniquePrefix('fuzzpublish'));
  redis = connectRedis();
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keys.prefix, PUBLISH_MAX_BYTES: String(MAX_BYTES) });
  tokens = [
    await mintToken({ sub: 'worker', publish: ['*'] }),
    await mintToken({ sub: 'narrow', publish: ['execution:*'] }),
    await mintToken({ sub: 'reader', subscribe: ['*'] }),
    'garbage',
    undefined,
  ];
});

afterAll(async () => {
  await gw.close();
  await redis.quit();
});

const contentType = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'Application/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'application/json-patch+json', '', 'multipart/form-data; boundary=x');
const contentEncoding = fc.option(fc.constantFrom('identity', 'gzip', 'br', 'x'), { freq: 6 });
const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value) ?? 'undefined');
const body = fc.oneof(
  { weight: 4, arbitrary: validEvent.map(encode) },
  { weight: 3, arbitrary: fc.array(validEvent, { minLength: 1, maxLength: 8 }).map(encode) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(encode) },
  { weight: 1, arbitrary: fc.tuple(validEvent, fc.constantFrom('channel', 'type', 'data', 'id', 'time'), fc.jsonValue({ maxDepth: 1 })).map(([event, key, value]) => encode({ ...event, [key]: value })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.tuple(validEvent, fc.nat()).map(([event, cut]) => { const bytes = encode(event); return bytes.subarray(0, cut % bytes.length); }) },
  { weight: 1, arbitrary: fc.nat({ max: 3 * MAX_BYTES }).map((n) => encode({ channel: 'execution:1', type: 'execution.log', data: { executionId: '1', level: 'info', message: 'x'.repeat(n) } })) },
);

test('any publish request is a 202 with its ids or a typed 4xx, never a 5xx, and only accepted events are stored', async () => {
  let accepted = 0;
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(body, contentType, contentEncoding, fc.nat({ max: tokens.length - 1 }), fc.boolean(), async (bytes, type, coding, t, chunked) => {
      const headers: Record<string, string> = { 'content-type': type };
      if (coding !== null) headers['content-encoding'] = coding;
      const token = tokens[t];
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      // Without Content-Length node sends the body chunked: both framings are fuzzed.
      if (!chunked) headers['content-length'] = String(bytes.length);
      else headers['transfer-encoding'] = 'chunked';
      const answer = await exchange(gw.url, { method: 'POST', path: '/v1/publish', headers, body: bytes });
      statuses.add(answer.status);
      expect([202, 400, 401, 403, 413, 415]).toContain(answer.status);
      if (answer.status !== 202) {
        const { code } = errorOf(answer.body);
        expect(ERRORS[code as keyof typeof ERRORS]?.status).toBe(answer.status);
        return;
      }
      const sent = JSON.parse(bytes.toString('utf8')) as unknown;
      const events = (Array.isArray(sent) ? sent : [sent]) as { channel: string; type: string; data: unknown }[];
      const { ids } = JSON.parse(answer.body.toString('utf8')) as { ids: string[] };
      expect(ids).toHaveLength(events.length);
      accepted += ids.length;
      // Each id names the stored envelope of its event.
      for (const [i, event] of events.entries()) {
        const id = ids[i] as string;
        const [entry] = await redis.xrange(keys.historyKey(event.channel), id, id);
        const stored = entry === undefined ? undefined : historyEntryOf(entry[0], entry[1]);
        expect(JSON.parse(stored?.envelope ?? 'null')).toMatchObject({ id, channel: event.channel, type: event.type, data: asJson(event.data) });
      }
    }),
    {
      ...runs(300),
      // One case of each refusal first, so the status check below never depends on chance.
      examples: [
        [encode({ channel: 'execution:1', type: 'execution.log', data: { executionId: '1', level: 'info', message: 'x'.repeat(MAX_BYTES) } }), 'application/json', null, 0, false],
        [encode({ channel: 'execution:1', type: 'execution.log', data: { executionId: '1', level: 'info', message: 'x'.repeat(MAX_BYTES) } }), 'application/json', null, 0, true],
        [Buffer.from('{}'), 'text/plain', null, 0, false],
        [encode({ channel: 'private:1', type: 'execution.log', data: { executionId: '1', level: 'info', message: 'm' } }), 'application/json', null, 1, false],
      ],
    },
  );
  expect([...statuses]).toEqual(expect.arrayContaining([202, 400, 401, 403, 413, 415]));
  expect(await metric(gw.url, 'sse_events_published_total')).toBe(accepted);
});
