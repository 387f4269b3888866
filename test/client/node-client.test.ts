// The client in Node against a real gateway (in-memory bus, real HTTP): typed events, cursor and
// resume, states, and how it answers the gateway's refusals: 401 → one fresh token, 403 and 400
// stop at once, a failing token() stops, a 503/429 is waited out for its Retry-After.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Stream } from '@sse-gateway/client';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { record } from './support/recorder';
import { recordingProxy, streamRequests, type RecordingProxy, type SeenRequest } from './support/requests';

const CHANNEL = 'execution:client-node';

let gw: TestGateway;
/** The clients talk to the gateway through it: it records what reached the gateway. */
let proxy: RecordingProxy;
let requests: SeenRequest[];
let publisher: Publisher;
const streams: Stream[] = [];

beforeAll(async () => {
  gw = await startGateway({ RETRY_MS: '200' });
  proxy = await recordingProxy(gw.url);
  requests = proxy.requests;
  publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
});

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

afterAll(async () => {
  await publisher.close();
  await proxy.close();
  await gw.close();
});

/** Tracks the stream so that afterEach closes it. */
function open(...args: Parameters<typeof connect>): Stream {
  const stream = connect(...args);
  streams.push(stream);
  return stream;
}

/** A token() that counts its calls; each call returns the next of `tokens` (the last one again once they run out). */
function tokens(...list: (() => Promise<string>)[]): { token: () => Promise<string>; readonly calls: number } {
  let calls = 0;
  return {
    token: () => (list[Math.min(calls++, list.length - 1)] as () => Promise<string>)(),
    get calls() {
      return calls;
    },
  };
}

const subscriber = (): Promise<string> => mintToken({ subscribe: ['execution:*'] });
const log = (channel: string, message: string) => publisher.publish({ channel, type: 'execution.log', data: { executionId: 'n', level: 'info', message } });
const newRequests = (since: number): SeenRequest[] => streamRequests(requests.slice(since));

test('streams typed events with their cursor, then stops for good on close()', async () => {
  const stream = open({ url: proxy.url, channels: [CHANNEL], token: subscriber });
  const seen = record(stream);
  expect(stream.state).toBe('connecting');
  await seen.waitForState('open');
  const { id } = await publisher.publish({ channel: CHANNEL, type: 'execution.status', data: { executionId: 'n', status: 'running' } });
  const [event] = await seen.waitForEvents(1);
  expect(event).toMatchObject({ id, channel: CHANNEL, type: 'execution.status', data: { executionId: 'n', status: 'running' } });
  expect(typeof event?.time).toBe('string');
  expect(stream.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  const before = requests.length;
  stream.close();
  expect(stream.state).toBe('closed');
  await log(CHANNEL, 'after close');
  // A barrier: a second stream sees the event, the closed one never does and never reconnects.
  const other = record(open({ url: proxy.url, channels: [CHANNEL], token: subscriber, lastEventId: 'earliest' }));
  await waitFor(() => other.events.some((e) => (e.data as { message?: string }).message === 'after close'));
  expect(seen.events).toHaveLength(1);
  expect(seen.states).toEqual(['open', 'closed']);
  expect(newRequests(before)).toHaveLength(1); // the barrier's
  expect(seen.errors).toEqual([]);
});

test('resumes after a saved cursor: the events after it, once, in order', async () => {
  const channel = `${CHANNEL}-resume`;
  const first = open({ url: proxy.url, channels: [channel], token: subscriber });
  const seenFirst = record(first);
  await seenFirst.waitForState('open');
  const ids: string[] = [];
  for (let n = 0; n < 3; n++) ids.push((await log(channel, `m${n}`)).id);
  await seenFirst.waitForEvents(3);
  const saved = first.cursor;
  first.close();
  for (let n = 3; n < 6; n++) ids.push((await log(channel, `m${n}`)).id);

  const since = requests.length;
  const second = record(open({ url: proxy.url, channels: [channel], token: subscriber, lastEventId: saved }));
  await second.waitForEvents(3);
  await log(channel, 'live');
  await second.waitForEvents(4);
  expect(second.events.map((e) => e.id)).toEqual([...ids.slice(3), expect.any(String)]);
  expect(newRequests(since)[0]?.lastEventId).toBe(saved);
});

test('a 401 gets one fresh token and the stream goes on', async () => {
  const expired = () => mintToken({ subscribe: ['execution:*'], ttlS: -60 });
  const source = tokens(expired, subscriber);
  const since = requests.length;
  const stream = open({ url: proxy.url, channels: [CHANNEL], token: source.token });
  const seen = record(stream);
  await seen.waitForState('open');
  await log(CHANNEL, 'after the refresh');
  await seen.waitForEvents(1);
  expect(source.calls).toBe(2);
  expect(newRequests(since).map((r) => r.status)).toEqual([401, 200]);
  expect(seen.errors).toEqual([]);
});

test('a fresh token refused too: state closed with an unauthorized error, and no more requests', async () => {
  const wrongSecret = () => mintToken({ subscribe: ['execution:*'] }, 'another-secret-0123456789abcdef0123456789');
  const source = tokens(wrongSecret);
  const since = requests.length;
  const stream = open({ url: proxy.url, channels: [CHANNEL], token: source.token });
  const seen = record(stream);
  await seen.waitForState('closed');
  expect(seen.errors.map((e) => [e.code, e.fatal, e.status, e.gatewayCode])).toEqual([['unauthorized', true, 401, 'invalid_token']]);
  expect(source.calls).toBe(2);
  expect(seen.states).toEqual(['closed']);
  // Nothing left running: a later event reaches another stream, and this one sent nothing more.
  await expectNoMoreRequests(since, 2);
});

test('token() failing stops the stream with an unauthorized error carrying the cause (heard even when it throws at once)', async () => {
  const since = requests.length;
  const stream = open({
    url: proxy.url,
    channels: [CHANNEL],
    token: () => {
      throw new Error('the session ended');
    },
  });
  const seen = record(stream);
  await seen.waitForState('closed');
  expect(seen.errors).toHaveLength(1);
  expect(seen.errors[0]).toMatchObject({ code: 'unauthorized', fatal: true });
  expect((seen.errors[0]?.cause as Error).message).toBe('the session ended');
  await expectNoMoreRequests(since, 0);
});

test('a 403 stops at once with forbidden: one request, no retry loop', async () => {
  const since = requests.length;
  const source = tokens(() => mintToken({ subscribe: ['crew:*'] }));
  const seen = record(open({ url: proxy.url, channels: [CHANNEL], token: source.token }));
  await seen.waitForState('closed');
  expect(seen.errors.map((e) => [e.code, e.fatal, e.status, e.gatewayCode])).toEqual([['forbidden', true, 403, 'forbidden']]);
  expect(seen.errors[0]?.message).toContain(CHANNEL);
  expect(source.calls).toBe(1);
  await expectNoMoreRequests(since, 1);
});

test('a 400 (bad channel name) stops with bad_request and the gateway\'s code', async () => {
  const seen = record(open({ url: proxy.url, channels: ['not a channel'], token: subscriber }));
  await seen.waitForState('closed');
  expect(seen.errors.map((e) => [e.code, e.fatal, e.status, e.gatewayCode])).toEqual([['bad_request', true, 400, 'bad_channel']]);
});

test('a 200 that is not an event stream (a proxy\'s page) is retried, not taken for the stream', async () => {
  const pageServer = createServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Please sign in to the Wi-Fi</h1>'));
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  const seenByServer: string[] = [];
  pageServer.on('request', (req) => seenByServer.push(req.url ?? ''));
  try {
    const stream = open({ url: `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`, channels: [CHANNEL], token: subscriber });
    const seen = record(stream);
    await waitFor(() => seen.errors.length >= 2, { message: 'two attempts' });
    expect(seen.errors.slice(0, 2).map((e) => [e.code, e.fatal, e.status])).toEqual([
      ['unavailable', false, 200],
      ['unavailable', false, 200],
    ]);
    expect(stream.state).toBe('connecting');
    expect(seenByServer.length).toBeGreaterThanOrEqual(2);
  } finally {
    pageServer.closeAllConnections();
    await new Promise((resolve) => pageServer.close(resolve));
  }
});

test('bad options throw at once', () => {
  expect(() => connect({ url: proxy.url, channels: [], token: subscriber })).toThrow(TypeError);
  expect(() => connect({ url: undefined as unknown as string, channels: [CHANNEL], token: subscriber })).toThrow(/url/);
  expect(() => connect({ url: proxy.url, channels: [CHANNEL], token: 'a-token' as unknown as () => string })).toThrow(/token/);
});

/** Nothing more reached the gateway after `since` than `expected` stream requests, checked after a barrier request. */
async function expectNoMoreRequests(since: number, expected: number): Promise<void> {
  const channel = `${CHANNEL}-barrier`;
  const barrier = record(open({ url: proxy.url, channels: [channel], token: subscriber }));
  await barrier.waitForState('open');
  await log(channel, 'barrier');
  await barrier.waitForEvents(1);
  expect(newRequests(since).filter((r) => !r.url.includes('barrier'))).toHaveLength(expected);
}
