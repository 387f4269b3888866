// Who may open a stream, and the errors before it starts: 400/401/403/429/503 as JSON bodies.
import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:net';
import { SignJWT, UnsecuredJWT } from 'jose';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { rawStream, SseClient } from '../helpers/sse-client';
import { mintToken, TEST_JWT_SECRET } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ MAX_CHANNELS_PER_CONNECTION: '3', MAX_CONNECTIONS_PER_SUBJECT: '2', MAX_CONNECTIONS: '5' });
});
afterAll(() => gw.close());

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const now = (): number => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, edit?: (jwt: SignJWT) => SignJWT): Promise<string> {
  const jwt = new SignJWT({ sse: { subscribe: ['*'] }, ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('u');
  return (edit ? edit(jwt) : jwt).sign(secret);
}

async function open(query: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: { error?: { code: string; message: string } } }> {
  const controller = new AbortController();
  const response = await fetch(`${gw.url}/v1/stream?${query}`, { headers, signal: controller.signal });
  if (response.status === 200) {
    controller.abort();
    return { status: 200, headers: response.headers, body: {} };
  }
  return { status: response.status, headers: response.headers, body: (await response.json()) as never };
}

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

describe('401', () => {
  test('no token: 401 with WWW-Authenticate and a JSON error', async () => {
    const res = await open('channel=execution:1');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body.error?.code).toBe('unauthorized');
    expect(typeof res.body.error?.message).toBe('string');
  });

  const cases: [string, () => Promise<string>][] = [
    ['wrong signature', () => new SignJWT({ sse: { subscribe: ['*'] } }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime(now() + 60).sign(new TextEncoder().encode('another-secret-0123456789abcdef0123456789'))],
    ['expired', () => sign({}, (j) => j.setExpirationTime(now() - 10))],
    ['not yet valid', () => sign({}, (j) => j.setNotBefore(now() + 3600).setExpirationTime(now() + 7200))],
    ['alg none', async () => new UnsecuredJWT({ sse: { subscribe: ['*'] } }).setSubject('u').setExpirationTime(now() + 60).encode()],
    ['garbage', async () => 'not.a.jwt'],
    [
      'RS256 token against an HS256 secret',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return new SignJWT({ sse: { subscribe: ['*'] } }).setProtectedHeader({ alg: 'RS256' }).setSubject('u').setExpirationTime(now() + 60).sign(privateKey);
      },
    ],
  ];
  test.each(cases)('%s: 401 invalid_token, the token not echoed', async (_name, make) => {
    const token = await make();
    const res = await open('channel=execution:1', bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body.error?.code).toBe('invalid_token');
    expect(JSON.stringify(res.body)).not.toContain(token);
  });
});

test('the token is read from the Authorization header, the sse_token cookie or access_token', async () => {
  const token = await mintToken();
  expect((await open('channel=execution:1', bearer(token))).status).toBe(200);
  expect((await open('channel=execution:1', { Cookie: `other=1; sse_token=${token}` })).status).toBe(200);
  expect((await open(`channel=execution:1&access_token=${token}`)).status).toBe(200);
});

test('403 for a channel the token may not subscribe to', async () => {
  const token = await mintToken({ subscribe: ['execution:*'] });
  const res = await open('channel=execution:1&channel=crew:7', bearer(token));
  expect(res.status).toBe(403);
  expect(res.body.error?.code).toBe('forbidden');
  expect(res.body.error?.message).toContain('crew:7');
  const none = await sign({ sse: undefined }, (j) => j.setExpirationTime(now() + 60));
  expect((await open('channel=execution:1', bearer(none))).status).toBe(403);
});

test.each([
  ['no channel', '', 'no_channel'],
  ['a bad channel name', 'channel=has%20space', 'bad_channel'],
  ['a newline in a channel', 'channel=a%0Ab', 'bad_channel'],
  ['a channel too long', `channel=${'x'.repeat(201)}`, 'bad_channel'],
  ['too many channels', 'channel=a&channel=b&channel=c&channel=d', 'too_many_channels'],
])('400 for %s', async (_name, query, code) => {
  const res = await open(query, bearer(await mintToken()));
  expect(res.status).toBe(400);
  expect(res.body.error?.code).toBe(code);
});

test('429 over MAX_CONNECTIONS_PER_SUBJECT, 503 over MAX_CONNECTIONS, both with Retry-After', async () => {
  const clients: SseClient[] = [];
  try {
    for (const sub of ['alice', 'alice', 'bob', 'bob', 'carol']) {
      const client = new SseClient(gw.url, { channels: ['execution:lim'], token: await mintToken({ sub }) });
      clients.push(client);
      await client.waitForOpen();
    }
    const tooManyForAlice = await open('channel=execution:lim', bearer(await mintToken({ sub: 'alice' })));
    expect(tooManyForAlice.status).toBe(503); // the instance is full first: 5 of 5
    clients.pop()?.close();
    await waitFor(() => gw.gateway.hub.streams.size === 4, { message: 'carol to leave' });
    const alice = await open('channel=execution:lim', bearer(await mintToken({ sub: 'alice' })));
    expect(alice.status).toBe(429);
    expect(alice.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(alice.body.error?.code).toBe('too_many_connections_for_subject');
    const dave = await open('channel=execution:lim', bearer(await mintToken({ sub: 'dave' })));
    expect(dave.status).toBe(200);
    await waitFor(() => gw.gateway.hub.streams.size === 4, { message: 'dave to leave' });
    clients.push(new SseClient(gw.url, { channels: ['execution:lim'], token: await mintToken({ sub: 'erin' }) }));
    await clients[clients.length - 1]?.waitForOpen();
    const full = await open('channel=execution:lim', bearer(await mintToken({ sub: 'frank' })));
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(full.body.error?.code).toBe('too_many_connections');
  } finally {
    for (const client of clients) client.close();
  }
});

test('a token expiring mid-stream ends it with gateway.token_expired', async () => {
  const token = await mintToken({ ttlS: 2 });
  const stream = await rawStream(gw.url, '/v1/stream?channel=execution:exp', bearer(token));
  await stream.ended;
  const last = stream.blocks().filter((b) => b['event'] !== undefined).pop();
  expect(last?.['event']).toBe('gateway.token_expired');
  const data = JSON.parse(last?.['data'] ?? '{}') as { type: string; data: { expiredAt: string } };
  expect(data.type).toBe('gateway.token_expired');
  expect(Date.parse(data.data.expiredAt)).toBeLessThanOrEqual(Date.now());
});

test('a stream the gateway ends leaves its keep-alive connection usable for the next request', async () => {
  const token = await mintToken({ ttlS: 1 });
  const socket = connect(new URL(gw.url).port as unknown as number, '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`GET /v1/stream?channel=execution:reuse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  await waitFor(() => text.includes('0\r\n\r\n'), { message: 'the end of the chunked stream' });
  expect(text).toContain('event: gateway.token_expired');
  // The same connection carries another request, as a client's pool may send it.
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => /0\r\n\r\nHTTP\/1\.1 200 OK/.test(text), { message: 'the next answer on the same connection' });
  socket.destroy();
});

test('no log line contains a token', async () => {
  const token = await mintToken({ sub: 'logcheck' });
  await open(`channel=execution:1&access_token=${token}`);
  await open('channel=bad%20name', bearer(token));
  await open('channel=execution:1', bearer(`${token}x`));
  await waitFor(() => gw.logs.some((line) => line.includes('"subject":"logcheck"') && line.includes('stream closed')), { message: 'the close log line' });
  const signature = token.split('.')[2] as string;
  for (const line of gw.logs) expect(line).not.toContain(signature);
});
