// How the client in Node keeps a stream going: a stream gone silent is reopened after three
// heartbeat periods (and resumes from the cursor of the opening block, before any event), and so
// is a request that gets no answer; a stream with heartbeats is left alone, a 503 is waited out for
// its Retry-After, a request sent on the connection the server is closing after a complete stream
// is sent again at once.
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { connect, type Stream } from '@sse-gateway/client';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { rawStream } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { startFreezableProxy } from './support/freezable-proxy';
import { record } from './support/recorder';
import { recordingProxy, streamRequests, type RecordingProxy } from './support/requests';

const HEARTBEAT_MS = 300;

let publisher: Publisher | undefined;
const streams: Stream[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await publisher?.close();
  publisher = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(env: Record<string, string>): Promise<TestGateway> {
  const gw = await startGateway(env);
  cleanups.push(() => gw.close());
  publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
  return gw;
}

/** A recording proxy in front of `gw`: what really reached the gateway. */
async function recorder(gw: TestGateway): Promise<RecordingProxy> {
  const proxy = await recordingProxy(gw.url);
  cleanups.push(() => proxy.close());
  return proxy;
}

function open(...args: Parameters<typeof connect>): Stream {
  const stream = connect(...args);
  streams.push(stream);
  return stream;
}

const subscriber = (): Promise<string> => mintToken({ subscribe: ['execution:*'] });
const log = async (channel: string, message: string): Promise<string> =>
  (await publisher!.publish({ channel, type: 'execution.log', data: { executionId: 'r', level: 'info', message } })).id;

test('a stream that goes silent is reopened after three heartbeat periods, from the cursor it opened at', async () => {
  const channel = 'execution:client-silent';
  const gw = await gateway({ HEARTBEAT_MS: String(HEARTBEAT_MS), RETRY_MS: '100' });
  const { requests, url } = await recorder(gw);
  const proxy = await startFreezableProxy(url);
  cleanups.push(() => proxy.close());
  const stream = open({ url: proxy.url, channels: [channel], token: subscriber, heartbeatMs: HEARTBEAT_MS });
  const seen = record(stream);
  await seen.waitForState('open');
  const opening = stream.cursor;
  expect(opening).toBeDefined(); // from the opening block: no event arrived yet

  proxy.freeze();
  const frozenAt = Date.now();
  const connectionsBefore = proxy.connections;
  const ids = [await log(channel, 'while frozen 1'), await log(channel, 'while frozen 2')];
  await seen.waitForState('reconnecting');
  expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(3 * HEARTBEAT_MS - 50);
  expect(seen.errors.map((e) => [e.code, e.fatal])).toEqual([['network', false]]);
  expect(seen.errors[0]?.message).toMatch(/no data for 900 ms/);
  await seen.waitForState('open');
  ids.push(await log(channel, 'after'));
  await seen.waitForEvents(3);
  expect(seen.events.map((e) => e.id)).toEqual(ids);
  const opens = streamRequests(requests);
  expect(opens).toHaveLength(2);
  expect(opens[0]?.lastEventId).toBeUndefined();
  expect(opens[1]?.lastEventId).toBe(opening);
  // The reopened stream came on a new connection, not the frozen one. (Not "exactly 2 in all":
  // undici sometimes opens a spare connection it never sends on, which made that count flaky.)
  expect(proxy.connections).toBeGreaterThan(connectionsBefore);
});

test('a request that gets no answer is given up after three heartbeat periods and sent again', async () => {
  // Accepts connections and never answers: a gateway or proxy stuck before the response headers.
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const stream = open({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, channels: ['execution:client-mute'], token: subscriber, heartbeatMs: 100 });
  const seen = record(stream);
  await waitFor(() => seen.errors.length >= 2 && sockets.size >= 2, { message: 'two attempts given up' });
  expect(seen.errors.slice(0, 2).map((e) => [e.code, e.fatal, e.message])).toEqual([
    ['network', false, 'no data for 300 ms'],
    ['network', false, 'no data for 300 ms'],
  ]);
  expect(stream.state).toBe('connecting');
});

test('heartbeats keep an idle stream open', async () => {
  const gw = await gateway({ HEARTBEAT_MS: String(HEARTBEAT_MS) });
  const { requests, url } = await recorder(gw);
  const seen = record(open({ url, channels: ['execution:client-idle'], token: subscriber, heartbeatMs: HEARTBEAT_MS }));
  await seen.waitForState('open');
  // Another stream on the same gateway counts the heartbeats: six periods pass without an event.
  const token = await subscriber();
  const watcher = await rawStream(gw.url, '/v1/stream?channel=execution:client-idle-watch', { Authorization: `Bearer ${token}` });
  try {
    await waitFor(() => watcher.blocks().filter((b) => b['comment'] === 'hb').length >= 6, { message: '6 heartbeats' });
  } finally {
    watcher.close();
  }
  expect(seen.states).toEqual(['open']);
  expect(seen.errors).toEqual([]);
  expect(streamRequests(requests).filter((r) => r.url.includes('client-idle&') || r.url.endsWith('client-idle'))).toHaveLength(1);
});

test('a 503 is waited out for its Retry-After, then the stream opens', async () => {
  const channel = 'execution:client-full';
  const gw = await gateway({ MAX_CONNECTIONS: '1', RETRY_MS: '100' });
  const { requests, url } = await recorder(gw);
  const holder = open({ url, channels: [channel], token: subscriber });
  await record(holder).waitForState('open');
  const waiting = open({ url, channels: [channel], token: subscriber });
  const seen = record(waiting);
  await waitFor(() => seen.errors.length > 0, { message: 'the 503' });
  expect(seen.errors.map((e) => [e.code, e.fatal, e.status, e.gatewayCode])).toEqual([['unavailable', false, 503, 'too_many_connections']]);
  expect(seen.errors[0]?.retryInMs).toBeGreaterThanOrEqual(5000); // Retry-After: 5
  holder.close();
  await seen.waitForState('open', 10000);
  const opens = streamRequests(requests).slice(1);
  expect(opens.map((r) => r.status)).toEqual([503, 200]);
  expect((opens[1]?.at ?? 0) - (opens[0]?.at ?? 0)).toBeGreaterThanOrEqual(5000);
  expect(await log(channel, 'through')).toBeDefined();
  await seen.waitForEvents(1);
}, 20000);

test('a request sent on the connection of a stream the server ended (keep-alive) and then drops is sent again at once, without an error', async () => {
  // A server that ends each stream cleanly, keeps the connection (keep-alive), and drops it when a
  // second request comes on it: what a gateway closing its side after the response looks like to
  // an HTTP client that pooled the connection meanwhile.
  const served = new WeakSet<Socket>();
  const seen: { socket: 'new' | 'reused'; lastEventId: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const reused = served.has(req.socket);
    seen.push({ socket: reused ? 'reused' : 'new', lastEventId: req.headers['last-event-id'] as string | undefined });
    if (reused) return void req.socket.destroy();
    served.add(req.socket);
    const n = seen.length;
    const envelope = JSON.stringify({ id: `${n}-0`, channel: 'execution:ka', type: 'execution.log', time: new Date().toISOString(), data: { executionId: 'ka', level: 'info', message: `stream ${n}` } });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.end(`retry: 100\nid: open-${n}\n\nid: after-${n}\nevent: execution.log\ndata: ${envelope}\n\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const stream = open({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, channels: ['execution:ka'], token: subscriber });
  const seenByClient = record(stream);
  await seenByClient.waitForEvents(3);
  expect(seen.slice(0, 5).map((r) => r.socket)).toEqual(['new', 'reused', 'new', 'reused', 'new']);
  expect(seen.slice(0, 5).map((r) => r.lastEventId)).toEqual([undefined, 'after-1', 'after-1', 'after-3', 'after-3']);
  expect(seenByClient.errors).toEqual([]);
});
