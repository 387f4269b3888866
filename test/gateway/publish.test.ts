// POST /v1/publish on a real gateway (in this process, real HTTP), on the in-memory bus and on
// Redis: every status the route answers with, what is stored, and what subscribers receive.
import { request } from 'node:http';
import { compareStreamIds } from '@sse-gateway/publisher/protocol';
import { statusEvent } from '../helpers/events';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { httpJson, SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';

const MAX_BYTES = 4096;

interface ErrorBody {
  error: { code: string; message: string; errors?: { path: string; message: string }[] };
}

const buses: [string, () => Record<string, string>][] = [
  ['in-memory bus', () => ({})],
  ['Redis bus', () => ({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('publish') })],
];

describe.each(buses)('POST /v1/publish on the %s', (_name, env) => {
  let gw: TestGateway;
  let publishToken: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    gw = await startGateway({ ...env(), PUBLISH_MAX_BYTES: String(MAX_BYTES) });
    publishToken = await mintToken({ sub: 'worker', subscribe: [], publish: ['execution:*'] });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await gw.close();
  });

  function post(body: unknown, headers: Record<string, string> = {}): ReturnType<typeof httpJson> {
    return httpJson(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${publishToken}`, 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function subscriber(channel: string): Promise<SseClient> {
    const client = new SseClient(gw.url, { channels: [channel], token: await mintToken({ subscribe: [channel] }) });
    clients.push(client);
    await client.waitForOpen();
    return client;
  }

  const stored = (channel: string): Promise<unknown[]> => gw.gateway.bus.history(channel, '0-0', 100);

  test('202 for one event: its id, and subscribers receive it as an envelope', async () => {
    const client = await subscriber('execution:p1');
    const { status: code, body } = await post(statusEvent('execution:p1', 'p1'));
    expect(code).toBe(202);
    const { ids } = body as { ids: string[] };
    expect(ids).toHaveLength(1);
    const [event] = await client.waitForEvents(1);
    expect(event?.type).toBe('execution.status');
    expect(event?.data).toEqual({ id: ids[0], channel: 'execution:p1', type: 'execution.status', time: expect.any(String), data: { executionId: 'p1', status: 'running' } });
  });

  test('202 for an array: ids in order, increasing, every event delivered in order', async () => {
    const client = await subscriber('execution:p2');
    const events = [0, 1, 2, 3, 4].map((step) => ({ channel: 'execution:p2', type: 'execution.progress', data: { executionId: 'p2', step } }));
    const { status: code, body } = await post(events);
    expect(code).toBe(202);
    const { ids } = body as { ids: string[] };
    expect(ids).toHaveLength(5);
    for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    const received = await client.waitForEvents(5);
    expect(received.map((event) => event.data.id)).toEqual(ids);
    expect(received.map((event) => (event.data.data as { step: number }).step)).toEqual([0, 1, 2, 3, 4]);
  });

  test('the published counter counts what was stored', async () => {
    const before = await publishedTotal(gw.url);
    await post([statusEvent('execution:p3'), statusEvent('execution:p3')]);
    expect(await publishedTotal(gw.url)).toBe(before + 2);
  });

  test('400 with every validation problem, and nothing of the batch is stored', async () => {
    const { status: code, body } = await post([
      statusEvent('execution:p4'),
      { channel: 'execution:p4', type: 'execution.status', data: { executionId: 'p4', status: 'sleeping' } },
      // Covered by the token's execution:* (rights come first), but not a valid name.
      { channel: 'execution:bad channel', type: 'no.such.type', data: {} },
    ]);
    expect(code).toBe(400);
    const { error } = body as ErrorBody;
    expect(error.code).toBe('invalid_event');
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: '/1/data/status', message: expect.any(String) },
        { path: '/2/channel', message: expect.any(String) },
        { path: '/2/type', message: expect.any(String) },
      ]),
    );
    expect(await stored('execution:p4')).toEqual([]);
  });

  test('400 paths of a single event start at the event; an unknown type and a reserved type are refused', async () => {
    const single = await post({ channel: 'execution:p5', type: 'execution.status', data: { executionId: 'p5' } });
    expect(single.status).toBe(400);
    expect((single.body as ErrorBody).error.errors).toEqual([{ path: '/data', message: expect.stringContaining('status') }]);
    const reserved = await post({ channel: 'execution:p5', type: 'gateway.gap', data: {} });
    expect((reserved.body as ErrorBody).error.errors?.[0]?.path).toBe('/type');
    const empty = await post([]);
    expect(empty.status).toBe(400);
    expect((empty.body as ErrorBody).error.code).toBe('invalid_event');
  });

  test('400 bad_request for a body that is not JSON', async () => {
    const { status: code, body } = await post('{"channel": "execution:p6", ');
    expect(code).toBe(400);
    expect((body as ErrorBody).error.code).toBe('bad_request');
  });

  test('401 without a token or with a bad one, with WWW-Authenticate and no token in the body', async () => {
    const none = await httpJson(`${gw.url}/v1/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(statusEvent('execution:p7')) });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((none.body as ErrorBody).error.code).toBe('unauthorized');
    const forged = `${publishToken.slice(0, -4)}AAAA`;
    const bad = await post(statusEvent('execution:p7'), { Authorization: `Bearer ${forged}` });
    expect(bad.status).toBe(401);
    expect((bad.body as ErrorBody).error.code).toBe('invalid_token');
    expect(JSON.stringify(bad.body)).not.toContain(forged);
    const expired = await post(statusEvent('execution:p7'), { Authorization: `Bearer ${await mintToken({ publish: ['*'], ttlS: -10 })}` });
    expect(expired.status).toBe(401);
  });

  test('a token in the query string or a cookie does not publish (only the Authorization header)', async () => {
    const query = await httpJson(`${gw.url}/v1/publish?access_token=${publishToken}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(statusEvent('execution:p7')) });
    expect(query.status).toBe(401);
    const cookie = await httpJson(`${gw.url}/v1/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: `sse_token=${publishToken}` }, body: JSON.stringify(statusEvent('execution:p7')) });
    expect(cookie.status).toBe(401);
  });

  test('403 naming the first channel the token may not publish to; nothing is stored', async () => {
    const { status: code, body } = await post([statusEvent('execution:p8'), statusEvent('crew:1'), statusEvent('crew:2')]);
    expect(code).toBe(403);
    expect((body as ErrorBody).error.code).toBe('forbidden');
    expect((body as ErrorBody).error.message).toContain('crew:1');
    expect((body as ErrorBody).error.message).not.toContain('crew:2');
    expect(await stored('execution:p8')).toEqual([]);
    const subscribeOnly = await post(statusEvent('execution:p8'), { Authorization: `Bearer ${await mintToken({ subscribe: ['*'] })}` });
    expect(subscribeOnly.status).toBe(403);
  });

  test('413 when Content-Length is over PUBLISH_MAX_BYTES, before the body is read', async () => {
    const big = { channel: 'execution:p9', type: 'execution.log', data: { executionId: 'p9', level: 'info', message: 'x'.repeat(MAX_BYTES) } };
    const { status: code, body } = await post(big);
    expect(code).toBe(413);
    expect((body as ErrorBody).error.code).toBe('payload_too_large');
    expect(await stored('execution:p9')).toEqual([]);
  });

  test('413 for a chunked body (no Content-Length) as soon as it passes the limit', async () => {
    const answer = await chunkedPost(`${gw.url}/v1/publish`, publishToken, MAX_BYTES + 1);
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.body) as ErrorBody).error.code).toBe('payload_too_large');
    // A body exactly at the limit is read (and here refused only for being invalid JSON).
    const atLimit = await chunkedPost(`${gw.url}/v1/publish`, publishToken, MAX_BYTES);
    expect(atLimit.status).toBe(400);
  });

  test('415 when the body is not declared as JSON, or is compressed', async () => {
    const text = await post(statusEvent('execution:p10'), { 'Content-Type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((text.body as ErrorBody).error.code).toBe('unsupported_media_type');
    const form = await post('channel=execution:p10', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const gzip = await post(statusEvent('execution:p10'), { 'Content-Encoding': 'gzip' });
    expect(gzip.status).toBe(415);
    const withCharset = await post(statusEvent('execution:p10'), { 'Content-Type': 'application/json; charset=utf-8' });
    expect(withCharset.status).toBe(202);
  });
});

async function publishedTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^sse_events_published_total (\d+)/m.exec(text);
  return Number(match?.[1] ?? Number.NaN);
}

/** POSTs `size` bytes of `{` in chunks without a Content-Length, resolving with the answer. */
function chunkedPost(url: string, token: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const chunk = '{'.repeat(1000);
    let sent = 0;
    while (sent < size) {
      const part = chunk.slice(0, Math.min(chunk.length, size - sent));
      req.write(part);
      sent += part.length;
    }
    req.end();
  });
}
