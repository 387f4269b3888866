// The publish route at its edges, over raw sockets: a token without any publish right is refused
// before the body is read (a body that never ends still gets its 403), every error body stays
// under 64 KB whatever the input, a trickled body or trickled headers get a JSON 408 at
// REQUEST_TIMEOUT_MS, and the same server bounds never cut a long-lived stream.
import { connect, type Socket } from 'node:net';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { rawStream } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const LIMIT = 64 * 1024;
const TIMEOUT_MS = 1000;

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** Milliseconds from the connection to the end of the answer. */
  elapsedMs: number;
}

/** Opens a socket to the gateway, writes `head` (and whatever `feed` writes), and resolves with the answer once the server closes or finishes it. */
function rawRequest(url: string, head: string, feed: (socket: Socket) => void = () => undefined): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    const finish = (): void => {
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no answer (got ${JSON.stringify(text.slice(0, 200))})`));
      const headers = text.slice(0, split);
      const length = /^content-length: (\d+)$/im.exec(headers);
      const body = text.slice(split + 4, length ? split + 4 + Number(length[1]) : undefined);
      resolve({ status: Number(headers.split(' ')[1]), headers, body, elapsedMs: Date.now() - started });
      socket.destroy();
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const split = text.indexOf('\r\n\r\n');
      const length = split === -1 ? null : /^content-length: (\d+)$/im.exec(text.slice(0, split));
      if (length && Buffer.byteLength(text.slice(split + 4)) >= Number(length[1])) finish();
    });
    socket.on('close', () => {
      if (!socket.destroyed || text !== '') finish();
    });
    socket.on('error', () => undefined);
    socket.write(head);
    feed(socket);
  });
}

function postHead(token: string, extra: Record<string, string>): string {
  const headers = { Host: 'gateway', Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...extra };
  return `POST /v1/publish HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`;
}

let gw: TestGateway;
let subscribeOnly: string;
let publishAll: string;
let publishExecutions: string;

beforeAll(async () => {
  gw = await startGateway({ REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), HEARTBEAT_MS: '100' });
  subscribeOnly = await mintToken({ sub: 'reader', subscribe: ['*'], publish: [] });
  publishAll = await mintToken({ sub: 'worker', subscribe: [], publish: ['*'] });
  publishExecutions = await mintToken({ sub: 'worker', subscribe: [], publish: ['execution:*'] });
});

afterAll(async () => {
  await gw.close();
});

test('a token without a publish right gets 403 while its body has not even finished arriving', async () => {
  // 10 bytes of a declared 60,000, and the rest never sent: the body can be neither read whole
  // nor validated. A route that waited for it would answer 408 at REQUEST_TIMEOUT_MS instead.
  const answer = await rawRequest(gw.url, postHead(subscribeOnly, { 'Content-Length': '60000' }), (socket) => socket.write('[1,2,3,4,5'));
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('no publish right') } });
});

test('a right on another channel: 403 from the parsed body, before schema validation', async () => {
  // Invalid data for execution.status, on a channel the token may not write: 403, not 400.
  const body = JSON.stringify([{ channel: 'crew:1', type: 'execution.status', data: { nope: true } }]);
  const answer = await rawRequest(gw.url, postHead(publishExecutions, { 'Content-Length': String(body.length) }) + body);
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body).error.message).toContain('crew:1');
});

describe('every publish error body is at most 64 KB, whatever the input', () => {
  const numbers = `[${Array.from({ length: 32000 }, (_, i) => i % 10).join(',')}]`;
  const longKey = 'k'.repeat(60000);
  const cases: [string, () => string, string, number][] = [
    ['32,000 numbers, subscribe-only token', () => subscribeOnly, numbers, 403],
    ['32,000 numbers, publish token', () => publishAll, numbers, 400],
    ['an event with a 60,000-character property name', () => publishAll, JSON.stringify({ channel: 'execution:1', type: 'execution.status', data: { executionId: '1', status: 'running' }, [longKey]: 1 }), 400],
    ['data with a 60,000-character key', () => publishAll, JSON.stringify({ channel: 'execution:1', type: 'execution.output', data: { executionId: '1', output: 1, [longKey]: 1 } }), 400],
    ['a 60,000-character channel outside the rights', () => publishExecutions, JSON.stringify({ channel: `crew:${longKey}`, type: 'execution.status', data: {} }), 403],
    ['a 60,000-character channel inside the rights', () => publishExecutions, JSON.stringify({ channel: `execution:${longKey}`, type: 'execution.status', data: {} }), 400],
    ['a 60,000-character type', () => publishAll, JSON.stringify({ channel: 'execution:1', type: `a${'.b'.repeat(29999)}`, data: {} }), 400],
    ['2,000 small invalid events', () => publishAll, JSON.stringify(Array.from({ length: 2000 }, () => ({ channel: 'x', type: 'y' }))), 400],
    ['not JSON', () => publishAll, `{${'"a":1,'.repeat(9000)}`, 400],
  ];
  test.each(cases)('%s', async (_name, token, body, status) => {
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(65536);
    const answer = await rawRequest(gw.url, postHead(token(), { 'Content-Length': String(Buffer.byteLength(body)) }) + body);
    expect(answer.status).toBe(status);
    expect(Buffer.byteLength(answer.body)).toBeLessThanOrEqual(LIMIT);
    const { error } = JSON.parse(answer.body) as { error: { code: string; errors?: unknown[]; more?: number } };
    if (status === 400 && error.code === 'invalid_event') expect(error.errors!.length).toBeLessThanOrEqual(100);
    process.stdout.write(`${_name}: ${status}, ${Buffer.byteLength(answer.body)} bytes\n`);
  });

  test('the list of problems is capped at 100 and says how many more there were', async () => {
    const answer = await rawRequest(gw.url, postHead(publishAll, { 'Content-Length': String(numbers.length) }) + numbers);
    const { error } = JSON.parse(answer.body) as { error: { errors: { path: string }[]; more: number; message: string } };
    expect(error.errors).toHaveLength(100);
    expect(error.errors[99]?.path).toBe('/99');
    expect(error.more).toBe(31900);
    expect(error.message).toContain('and 31995 more problems');
  });
});

describe(`REQUEST_TIMEOUT_MS (${TIMEOUT_MS} ms)`, () => {
  const expectTimeout = (answer: RawAnswer): void => {
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'request_timeout', message: expect.any(String) } });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    // Node checks every tenth of the timeout: the 408 comes within it (plus scheduling slack).
    expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS * 2);
  };

  test('a body trickled a byte at a time gets a JSON 408 at the timeout, and the connection is closed', async () => {
    const body = JSON.stringify({ channel: 'execution:slow', type: 'execution.status', data: { executionId: 'slow', status: 'running' } });
    let timer: NodeJS.Timeout | undefined;
    const answer = await rawRequest(gw.url, postHead(publishAll, { 'Content-Length': String(body.length) }), (socket) => {
      let sent = 0;
      // Bounded: the whole body would take 100 ms × its length, far past the timeout.
      timer = setInterval(() => {
        if (sent < body.length && socket.writable) socket.write(body[sent++] as string);
      }, 100);
    });
    clearInterval(timer);
    expectTimeout(answer);
    expect(await gw.gateway.bus.history('execution:slow', '0-0', 10)).toEqual([]);
    // The route that was reading the body learns the socket closed: nothing worth a warning.
    expect(gw.logs.filter((line) => /"level":"(warn|error)"/.test(line))).toEqual([]);
  });

  test('on a kept-alive connection, a second request that stalls gets the JSON 408 too', async () => {
    const { hostname, port } = new URL(gw.url);
    const socket = connect(Number(port), hostname);
    socket.setEncoding('utf8');
    let text = '';
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (chunk: string) => {
      const first = text === '';
      text += chunk;
      // Once the first answer is in, start a second request and never finish its headers.
      if (first) socket.write('POST /v1/publish HTTP/1.1\r\nHost: gateway\r\nX-Slow: ');
    });
    socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    await closed;
    const answers = text.split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((answer) => Number(answer.split(' ')[1]))).toEqual([200, 408]);
    expect(answers[1]).toContain('"code":"request_timeout"');
  });

  test('headers that never end get the same JSON 408', async () => {
    const answer = await rawRequest(gw.url, 'POST /v1/publish HTTP/1.1\r\nHost: gateway\r\nX-Slow: ');
    expectTimeout(answer);
  });

  test('a stream is never cut by them: it keeps receiving heartbeats and events for many times the timeout', async () => {
    const token = await mintToken({ subscribe: ['execution:*'] });
    const stream = await rawStream(gw.url, '/v1/stream?channel=execution:long', { Authorization: `Bearer ${token}` });
    try {
      expect(stream.response.statusCode).toBe(200);
      const heartbeats = (): number => stream.blocks().filter((block) => block['comment'] === 'hb').length;
      // 100 ms heartbeats: 30 of them span 3 s, three times the request timeout.
      await waitFor(() => heartbeats() >= 30, { timeoutMs: 15000, message: '30 heartbeats', detail: () => `${heartbeats()} so far` });
      const answer = await fetch(`${gw.url}/v1/publish`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${publishAll}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel: 'execution:long', type: 'execution.status', data: { executionId: 'long', status: 'running' } }),
      });
      expect(answer.status).toBe(202);
      await waitFor(() => stream.blocks().some((block) => block['event'] === 'execution.status'), { message: 'the event on the long stream' });
      expect(stream.response.complete).toBe(false);
    } finally {
      stream.close();
    }
  });
});
