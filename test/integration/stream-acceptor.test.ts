// Stream requests are read by the gateway from the raw socket; everything else goes to node:http
// with the bytes read put back. Over real sockets: requests split into many packets either way,
// keep-alive after stream answers in both directions, the head's limits, and the fallback for a
// stream request on a connection node:http already serves.
import { connect, type Socket } from 'node:net';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { scrapeMetric } from '../helpers/metrics';
import { rawStream } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

let gw: TestGateway;
/** The same with a short REQUEST_TIMEOUT_MS, for the 408s. */
let hasty: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startGateway({ HEARTBEAT_MS: '60000' });
  hasty = await startGateway({ REQUEST_TIMEOUT_MS: '500' });
  token = await mintToken({ publish: ['*'] });
});
afterAll(async () => {
  await gw.close();
  await hasty.close();
});

interface Raw {
  socket: Socket;
  text(): string;
  closed: Promise<void>;
}

async function raw(to: TestGateway = gw): Promise<Raw> {
  const socket = connect(Number(new URL(to.url).port), '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, text: () => text, closed };
}

/** Writes `text` a few bytes at a time, each piece its own packet (TCP_NODELAY, each sent before the next). */
async function trickle(socket: Socket, text: string, size: number): Promise<void> {
  socket.setNoDelay(true);
  for (let i = 0; i < text.length; i += size) {
    await new Promise<void>((resolve, reject) => socket.write(text.slice(i, i + size), (error) => (error ? reject(error) : resolve())));
  }
}

const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

test('a stream request trickled a byte at a time is read and streams', async () => {
  const c = await raw();
  await trickle(c.socket, `GET /v1/stream?channel=execution:trickle HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`, 1);
  await waitFor(() => c.text().includes('retry: '), { message: 'the opening block' });
  expect(statuses(c.text())).toEqual([200]);
  expect(c.text()).toContain('Transfer-Encoding: chunked');
  c.socket.destroy();
});

test('a publish whose head and body come in many packets goes to node:http whole, and the connection carries on', async () => {
  const c = await raw();
  const body = JSON.stringify({ channel: 'execution:split', type: 'execution.status', data: { executionId: 's', status: 'running' } });
  const request = `POST /v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  await trickle(c.socket, request, 7);
  await waitFor(() => statuses(c.text()).length === 1, { message: 'the publish answer' });
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => statuses(c.text()).length === 2, { message: 'the next answer on the same connection' });
  expect(statuses(c.text())).toEqual([202, 200]);
  c.socket.destroy();
});

test('after a refused stream request (401) the same connection serves /readyz, then a stream through node:http', async () => {
  const c = await raw();
  c.socket.write('GET /v1/stream?channel=execution:ka HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => statuses(c.text()).length === 1, { message: 'the 401' });
  expect(c.text()).toContain('WWW-Authenticate: Bearer');
  expect(c.text()).toContain('Connection: keep-alive');
  c.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => statuses(c.text()).length === 2, { message: 'readyz on the kept connection' });
  // node:http owns the connection now: a stream request on it is served through its response.
  c.socket.write(`GET /v1/stream?channel=execution:ka HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  await waitFor(() => c.text().includes('retry: '), { message: 'the stream on the kept connection' });
  expect(statuses(c.text())).toEqual([401, 200, 200]);
  c.socket.destroy();
  await waitFor(() => gw.gateway.hub.streams.size === 0, { message: 'the stream to be released' });
});

test('a head over 16 KB: 431; a head not finished within REQUEST_TIMEOUT_MS (500 ms here): 408; both close the connection', async () => {
  const big = await raw();
  big.socket.write(`GET /v1/stream?channel=x HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(17 * 1024)}`);
  await big.closed;
  expect(statuses(big.text())).toEqual([431]);
  const slow = await raw(hasty);
  slow.socket.write('GET /v1/stream?channel=x HTTP/1.1\r\nHost: x\r\n');
  await slow.closed;
  expect(statuses(slow.text())).toEqual([408]);
  expect(slow.text()).toContain('"code":"request_timeout"');
  const silent = await raw(hasty); // nothing sent at all
  await silent.closed;
  expect(statuses(silent.text())).toEqual([408]);
});

test('a kept-alive connection left idle after a refused stream closes at REQUEST_TIMEOUT_MS without a word (no unsolicited 408)', async () => {
  const c = await raw(hasty);
  c.socket.write('GET /v1/stream?channel=execution:idle HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => statuses(c.text()).length === 1, { message: 'the 401' });
  const answered = c.text();
  expect(answered).toContain('Connection: keep-alive');
  await c.closed;
  // A client reusing the connection just then would have read a 408 as the answer to its request.
  expect(c.text()).toBe(answered);
  // One that started its next request and did not finish it still gets its 408.
  const slow = await raw(hasty);
  slow.socket.write('GET /v1/stream?channel=execution:idle HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => statuses(slow.text()).length === 1, { message: 'the 401' });
  slow.socket.write('GET /readyz HTTP/1.1\r\n');
  await slow.closed;
  expect(statuses(slow.text())).toEqual([401, 408]);
});

test('an empty Last-Event-ID header counts as absent on both paths: the lastEventId parameter still replays', async () => {
  const event = { channel: 'execution:empty-id', type: 'execution.status', data: { executionId: 'retained', status: 'running' } };
  const published = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(event) });
  expect(published.status).toBe(202);
  const stream = `GET /v1/stream?channel=execution:empty-id&lastEventId=earliest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: \r\n\r\n`;
  const read = await raw(); // read by the gateway itself
  read.socket.write(stream);
  const served = await raw(); // on a connection node:http owns
  served.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n${stream}`);
  for (const c of [read, served]) {
    await waitFor(() => c.text().includes('"executionId":"retained"'), { message: 'the retained event, replayed', detail: c.text });
    c.socket.destroy();
  }
});

test('a client that half-closes mid-head gets a 400 at once, as node:http answers an incomplete request; one that sent nothing is closed', async () => {
  const partial = await raw(hasty);
  partial.socket.write('GET /v1/stream?channel=x HTTP/1.1\r\nHost: x\r\n', () => partial.socket.end());
  await partial.closed;
  expect(statuses(partial.text())).toEqual([400]);
  expect(partial.text()).toContain('"code":"bad_request"');
  const silent = await raw(hasty);
  silent.socket.end();
  await silent.closed;
  expect(silent.text()).toBe('');
});

test('a path that only starts like the stream is node:http\'s (404 from the API)', async () => {
  const c = await raw();
  c.socket.write('GET /v1/streams HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => statuses(c.text()).length === 1, { message: 'the answer' });
  expect(statuses(c.text())).toEqual([404]);
  c.socket.destroy();
});

test('two stream requests pipelined on a node:http connection: the connection is closed and neither stream outlives it', async () => {
  const strict = await startGateway({ MAX_CONNECTIONS_PER_SUBJECT: '2' });
  try {
    const subject = await mintToken({ sub: 'pipeliner' });
    const c = await raw(strict);
    let closed = false;
    void c.closed.then(() => (closed = true));
    // The /healthz makes node:http own the connection; the two streams behind it are its.
    const stream = `GET /v1/stream?channel=execution:pipelined HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${subject}\r\n\r\n`;
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n${stream}${stream}`);
    await waitFor(() => closed || strict.gateway.hub.streams.size === 2, { message: 'the connection closed, or both streams open' });
    c.socket.destroy();
    await c.closed;
    await waitFor(() => strict.gateway.hub.streams.size === 0, { message: 'every stream of the connection to be released' });
    expect(await scrapeMetric(strict.url, 'sse_connections')).toBe(0);
    // The subject's slots are free again: it opens its whole quota.
    const streams = await Promise.all([1, 2].map(() => rawStream(strict.url, '/v1/stream?channel=execution:pipelined', { Authorization: `Bearer ${subject}` })));
    expect(streams.map((s) => s.response.statusCode)).toEqual([200, 200]);
    for (const s of streams) s.close();
  } finally {
    await strict.close();
  }
});
