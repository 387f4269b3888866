// GET /v1/channels/{channel}/state and /history on a real gateway (Redis bus): who may read them
// (401/403/400 like the stream, token from header, cookie or access_token), how history pages, and
// that `limit` is capped.
import { startGateway, type TestGateway } from '../helpers/gateway';
import { createKeyspace } from '@sse-gateway/publisher/protocol';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { httpJson } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';

interface Page {
  events: { id: string; channel: string; data: { step: number } }[];
  next: string | null;
}

let gw: TestGateway;
let reader: string;
let publisher: string;
const keyPrefix = uniquePrefix('chroutes');

beforeAll(async () => {
  gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keyPrefix, HISTORY_MAXLEN: '1200', CORS_ORIGINS: 'http://app.example' });
  reader = await mintToken({ sub: 'reader', subscribe: ['execution:*'] });
  publisher = await mintToken({ sub: 'worker', subscribe: [], publish: ['*'] });
});

afterAll(async () => {
  await gw.close();
});

/** Publishes `count` progress events on `channel` (in batches that fit PUBLISH_MAX_BYTES); their ids in order. */
async function publishSteps(channel: string, count: number, retain = false): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < count; from += 400) {
    const batch = Array.from({ length: Math.min(400, count - from) }, (_, i) => ({ channel, type: 'execution.progress', data: { executionId: 'x', step: from + i }, retain }));
    const answer = await httpJson(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(batch),
    });
    expect(answer.status).toBe(202);
    ids.push(...(answer.body as { ids: string[] }).ids);
  }
  return ids;
}

const get = (path: string, headers: Record<string, string> = { Authorization: `Bearer ${reader}` }): ReturnType<typeof httpJson> => httpJson(`${gw.url}${path}`, { headers });
const page = async (path: string): Promise<Page> => {
  const answer = await get(path);
  expect(answer.status).toBe(200);
  return answer.body as Page;
};

describe.each(['state', 'history'])('GET /v1/channels/{channel}/%s refuses like the stream', (route) => {
  test('401 without a token or with a bad one, with WWW-Authenticate', async () => {
    const none = await get(`/v1/channels/execution:1/${route}`, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bad = await get(`/v1/channels/execution:1/${route}`, { Authorization: `Bearer ${reader}x` });
    expect(bad.status).toBe(401);
    expect(JSON.stringify(bad.body)).not.toContain(reader);
  });

  test('403 for a channel the token may not subscribe to (a publish right is not a read right)', async () => {
    const other = await get(`/v1/channels/crew:1/${route}`);
    expect(other.status).toBe(403);
    expect((other.body as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await get(`/v1/channels/execution:1/${route}`, { Authorization: `Bearer ${publisher}` })).status).toBe(403);
  });

  test('400 for a malformed channel name', async () => {
    const answer = await get(`/v1/channels/${encodeURIComponent('execution: 1')}/${route}`);
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { code: string } }).error.code).toBe('bad_channel');
    // A long name is quoted clipped, word for word as the stream quotes it.
    const long = 'x'.repeat(201);
    const [read, stream] = [await get(`/v1/channels/${long}/${route}`), await httpJson(`${gw.url}/v1/stream?channel=${long}`)];
    expect(JSON.stringify(read.body)).toContain(`${'x'.repeat(63)}…`);
    expect(read.body).toEqual(stream.body);
  });

  test('the token may come from the sse_token cookie or the access_token parameter; CORS as the other routes', async () => {
    expect((await get(`/v1/channels/execution:1/${route}`, { Cookie: `sse_token=${reader}` })).status).toBe(200);
    expect((await get(`/v1/channels/execution:1/${route}?access_token=${reader}`, {})).status).toBe(200);
    const cors = await get(`/v1/channels/execution:1/${route}`, { Authorization: `Bearer ${reader}`, Origin: 'http://app.example' });
    expect(cors.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(cors.headers.get('cache-control')).toBe('no-store');
  });
});

test('state of a channel without retained events is empty; with them, the envelopes', async () => {
  expect(await page('/v1/channels/execution:empty/state')).toEqual({ events: [] });
  const [id] = await publishSteps('execution:st', 1, true);
  expect((await page('/v1/channels/execution:st/state')).events).toEqual([
    { id, channel: 'execution:st', type: 'execution.progress', time: expect.any(String), data: { executionId: 'x', step: 0 } },
  ]);
});

test('history pages through every event exactly once, `next` null on the last page (also when it is exactly full)', async () => {
  const ids = await publishSteps('execution:pages', 30);
  const seen: string[] = [];
  let path = '/v1/channels/execution:pages/history?limit=10';
  for (let pages = 0; pages < 10; pages += 1) {
    const { events, next } = await page(path);
    seen.push(...events.map((event) => event.id));
    if (next === null) break;
    expect(next).toBe(events[events.length - 1]?.id);
    path = `/v1/channels/execution:pages/history?limit=10&after=${next}`;
  }
  expect(seen).toEqual(ids);
  const last = await page(`/v1/channels/execution:pages/history?limit=10&after=${ids[19]}`);
  expect(last.events.map((event) => event.id)).toEqual(ids.slice(20));
  expect(last.next).toBeNull();
  expect(await page(`/v1/channels/execution:pages/history?after=${ids[29]}`)).toEqual({ events: [], next: null });
  expect(await page('/v1/channels/execution:never/history')).toEqual({ events: [], next: null });
});

test('`after` absent, empty or `earliest` starts at the oldest event; anything else that is not an id is a 400', async () => {
  const ids = await publishSteps('execution:after', 3);
  for (const query of ['', '?after=', '?after=earliest']) {
    expect((await page(`/v1/channels/execution:after/history${query}`)).events.map((event) => event.id)).toEqual(ids);
  }
  for (const bad of ['latest', '12', '1-2-3', 'x'.repeat(5000), '-1-0']) {
    const answer = await get(`/v1/channels/execution:after/history?after=${encodeURIComponent(bad)}`);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body).length).toBeLessThan(1000);
  }
});

test('`limit`: 100 by default, capped at 1000, and a 400 when it is not a positive integer', async () => {
  const ids = await publishSteps('execution:limit', 1100);
  const byDefault = await page('/v1/channels/execution:limit/history');
  expect(byDefault.events).toHaveLength(100);
  const capped = await page('/v1/channels/execution:limit/history?limit=5000');
  expect(capped.events.map((event) => event.id)).toEqual(ids.slice(0, 1000));
  expect(capped.next).toBe(ids[999]);
  const rest = await page(`/v1/channels/execution:limit/history?limit=1000&after=${capped.next}`);
  expect(rest.events.map((event) => event.id)).toEqual(ids.slice(1000));
  expect(rest.next).toBeNull();
  for (const bad of ['0', '-5', '1.5', 'ten', '99999999999']) {
    expect((await get(`/v1/channels/execution:limit/history?limit=${bad}`)).status).toBe(400);
  }
});

test('a page may send Idempotency-Key with a publish: the CORS preflight allows it', async () => {
  const answer = await fetch(`${gw.url}/v1/publish`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key' },
  });
  expect(answer.status).toBe(204);
  expect(answer.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
});

test('an event may ask for a shorter memory of its key, never a longer one than IDEMPOTENCY_TTL_S', async () => {
  const post = (event: Record<string, unknown>): ReturnType<typeof httpJson> =>
    httpJson(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel: 'execution:ttl', type: 'execution.status', data: { executionId: 'ttl', status: 'running' }, ...event }),
    });
  expect((await post({ idempotencyKey: 'short', idempotencyTtlS: 30 })).status).toBe(202);
  expect((await post({ idempotencyKey: 'long', idempotencyTtlS: 10 ** 9 })).status).toBe(202);
  const redis = connectRedis();
  try {
    const keyspace = createKeyspace(keyPrefix);
    const short = await redis.ttl(keyspace.idempotencyKey('execution:ttl', 'short'));
    const long = await redis.ttl(keyspace.idempotencyKey('execution:ttl', 'long'));
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThanOrEqual(30);
    expect(long).toBeGreaterThan(86000);
    expect(long).toBeLessThanOrEqual(86400);
  } finally {
    await redis.quit();
  }
  for (const bad of [{ idempotencyTtlS: 30 }, { idempotencyKey: 'k', idempotencyTtlS: 0 }, { idempotencyKey: 'k', idempotencyTtlS: 1.5 }]) {
    const answer = await post(bad);
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { errors: { path: string }[] } }).error.errors[0]?.path).toBe('/idempotencyTtlS');
  }
});
