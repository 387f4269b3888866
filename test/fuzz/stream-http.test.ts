// GET /v1/stream fuzzed through real HTTP on a gateway with Redis: any query, token source,
// Last-Event-ID and Origin gives a 200 stream or a typed 4xx JSON error from the catalogue —
// never a 5xx, never a 204 (which would stop an EventSource for good), never a body that grows
// with the input — and leaves nothing behind: no connection, subscription or admission slot.
import fc from 'fast-check';
import { ERRORS } from '../../gateway/src/errors';
import { channelHash, encodeCursor } from '../../gateway/src/sse/cursor';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { awkwardString, channelName, runs } from '../helpers/property';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { errorOf, exchange, metric } from './support/http';

const PER_SUBJECT = 3;
let gw: TestGateway;
let tokens: string[];
let readerToken: string;

beforeAll(async () => {
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('fuzzstream'), MAX_CONNECTIONS_PER_SUBJECT: String(PER_SUBJECT), CORS_ORIGINS: 'http://allowed.test' });
  readerToken = await mintToken({ sub: 'reader', subscribe: ['execution:*'] });
  tokens = [
    readerToken,
    await mintToken({ sub: 'nobody', subscribe: [] }),
    await mintToken({ sub: 'late', subscribe: ['*'], ttlS: -60 }),
    await mintToken({ sub: 'other' }, 'another-secret-0123456789abcdef0123456789'),
    'not.a.token',
  ];
});

afterAll(async () => {
  await gw.close();
});

const cursor = fc
  .uniqueArray(fc.record({ hash: fc.oneof(channelName(), fc.constantFrom('execution:1', 'execution:2')).map(channelHash), id: fc.record({ ms: fc.maxSafeNat(), seq: fc.nat() }) }), { selector: (p) => p.hash, minLength: 1, maxLength: 4 })
  .map(encodeCursor);
const value = fc.oneof(
  fc.constantFrom('execution:1', 'execution:2', 'other:1', 'earliest', ''),
  channelName(),
  cursor,
  awkwardString({ maxLength: 16 }),
  fc.string({ maxLength: 300 }),
);
const tokenIndex = fc.nat({ max: 4 });
/** Printable ASCII only: what an HTTP client can put in a header or an unescaped query. */
const headerText = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 });

/** Mostly requests that could succeed, so the 200 path is fuzzed as much as the refusals. */
const wellFormedQuery = fc
  .tuple(fc.uniqueArray(fc.constantFrom('execution:1', 'execution:2', 'execution:3'), { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom('lastEventId', 'x'), value), { maxLength: 2 }))
  .map(([channels, extra]) => new URLSearchParams([...channels.map((channel): [string, string] => ['channel', channel]), ...extra]).toString());
const rare = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arbitrary, { freq: 4 });

const request = fc.record({
  query: fc.oneof(
    { weight: 3, arbitrary: wellFormedQuery },
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom('channel', 'channel', 'lastEventId', 'access_token'), value), { maxLength: 40 }).map((pairs) => new URLSearchParams(pairs).toString()) },
    { weight: 1, arbitrary: headerText.map((text) => text.replace(/#/g, '%23')) },
  ),
  token: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: tokenIndex }), { freq: 8 }),
  tokenIn: fc.constantFrom('authorization', 'cookie', 'query'),
  authorization: rare(headerText),
  cookie: rare(headerText),
  lastEventId: rare(fc.oneof(cursor, headerText, fc.constant('earliest'))),
  origin: fc.option(fc.constantFrom('http://allowed.test', 'http://evil.test', 'null')),
});

test('any stream request is a 200 or a typed 4xx, never a 5xx or 204, and leaves no state behind', async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = {};
      let query = r.query;
      if (r.authorization !== null) headers['authorization'] = r.authorization;
      if (r.cookie !== null) headers['cookie'] = r.cookie;
      if (r.lastEventId !== null) headers['last-event-id'] = r.lastEventId;
      if (r.origin !== null) headers['origin'] = r.origin;
      if (r.token !== null) {
        const token = tokens[r.token] as string;
        if (r.tokenIn === 'authorization') headers['authorization'] = `Bearer ${token}`;
        else if (r.tokenIn === 'cookie') headers['cookie'] = `sse_token=${token}`;
        else query = `${query}&access_token=${encodeURIComponent(token)}`;
      }
      const answer = await exchange(gw.url, { path: `/v1/stream?${query}`, headers });
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
      expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500)).toBe(true);
      if (answer.status === 200) return;
      const { code, message } = errorOf(answer.body);
      expect(ERRORS[code as keyof typeof ERRORS]?.status).toBe(answer.status);
      expect(answer.body.length).toBeLessThan(512);
      for (const token of tokens) expect(message).not.toContain(token);
      if (answer.status === 401) expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    }),
    runs(400),
  );
  // Enough of each kind of answer for the property to mean something.
  expect(seen.get(200) ?? 0).toBeGreaterThan(5);
  expect(seen.get(400) ?? 0).toBeGreaterThan(5);
  expect(seen.get(401) ?? 0).toBeGreaterThan(5);

  // Nothing left: no connection, no bus subscription, no admission slot.
  await waitFor(() => gw.gateway.hub.connections.size === 0, { message: 'every fuzzed stream to be released' });
  expect(gw.gateway.hub.channelCount).toBe(0);
  expect(await metric(gw.url, 'sse_connections')).toBe(0);
  expect(await metric(gw.url, 'sse_bus_subscriptions')).toBe(0);
  const open = await Promise.all(Array.from({ length: PER_SUBJECT }, () => exchange(gw.url, { path: '/v1/stream?channel=execution:1', headers: { authorization: `Bearer ${readerToken}` } })));
  expect(open.map((answer) => answer.status)).toEqual(Array(PER_SUBJECT).fill(200));
  await waitFor(() => gw.gateway.hub.connections.size === 0, { message: 'the admission check streams to be released' });
});
