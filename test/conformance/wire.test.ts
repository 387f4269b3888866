// The gateway's real stream bytes, read by parsers written elsewhere: eventsource-parser (over
// HTTP/1.1 chunked and over HTTP/1.0) and the `eventsource` package. Every event's `data` is the
// stored envelope byte for byte, with the right `event` and an `id` that is a cursor (never CR,
// LF or NUL), for envelopes holding every awkward string, published through the SDK into Redis
// and through POST /v1/publish; plus the opening block, heartbeats, control events and 64 KB
// events. (Chromium's own EventSource reads the same bytes in browser.test.ts.)
import { EventSource } from 'eventsource';
import { createPublisher, EventValidationError } from '@sse-gateway/publisher';
import { historyEntryOf, parseStreamId } from '@sse-gateway/publisher/protocol';
import { channelHash, decodeCursor } from '../../gateway/src/sse/cursor';
import { testRedisUrl } from '../helpers/redis';
import { startRedisGateway, type RedisGateway } from '../helpers/redis-gateway';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { AWKWARD, awkwardEvents } from './support/awkward';
import { captureStream, captureStreamHttp10, type CapturedStream } from './support/raw-stream';

const A = 'conformance:a';
const B = 'conformance:b';
const RETRY_MS = 1234;
const MAX_BYTES = 65536;


let rig: RedisGateway;
let readToken: string;
let publishToken: string;

beforeAll(async () => {
  rig = await startRedisGateway('conformancewire', { RETRY_MS: String(RETRY_MS), HEARTBEAT_MS: '150', PUBLISH_MAX_BYTES: String(MAX_BYTES) });
  readToken = await mintToken({ subscribe: ['conformance:*'] });
  publishToken = await mintToken({ publish: ['conformance:*'] });
});

afterAll(() => rig.close());

interface Published {
  channel: string;
  type: string;
  id: string;
}

async function publishHttp(events: unknown): Promise<{ status: number; ids: string[] }> {
  const response = await fetch(`${rig.gw.url}/v1/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${publishToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  const body = (await response.json()) as { ids?: string[] };
  return { status: response.status, ids: body.ids ?? [] };
}

/** The envelope exactly as stored in the channel's history. */
async function storedEnvelope(channel: string, id: string): Promise<string> {
  const [entry] = await rig.redis.xrange(rig.keys.historyKey(channel), id, id);
  const stored = entry === undefined ? undefined : historyEntryOf(entry[0], entry[1]);
  if (stored === undefined) throw new Error(`no stored entry ${channel} ${id}`);
  return stored.envelope;
}

const streamPath = (channels: string[]): string => `/v1/stream?${channels.map((channel) => `channel=${encodeURIComponent(channel)}`).join('&')}`;
const auth = (): Record<string, string> => ({ authorization: `Bearer ${readToken}` });

/** An `eventsource` package client keeping each event's raw fields. */
function packageClient(channels: string[], types: string[], lastEventId?: string): { events: { type: string; id: string; data: string }[]; source: EventSource } {
  const events: { type: string; id: string; data: string }[] = [];
  const source = new EventSource(`${rig.gw.url}${streamPath(channels)}`, {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${readToken}`);
      if (lastEventId !== undefined && !headers.has('last-event-id')) headers.set('last-event-id', lastEventId);
      return fetch(input, { ...init, headers });
    },
  });
  for (const type of types) source.addEventListener(type, (event) => events.push({ type, id: event.lastEventId, data: event.data as string }));
  return { events, source };
}

/** What a reader got for `channel`, in order, as (event, id, data). */
function eventsOf(parsed: { event?: string | undefined; id?: string | undefined; data: string }[], channel: string): { event?: string | undefined; id?: string | undefined; data: string }[] {
  return parsed.filter((event) => (JSON.parse(event.data) as { channel?: string }).channel === channel);
}

async function expectDelivered(label: string, received: { event?: string | undefined; id?: string | undefined; data: string }[], published: Published[], channels: string[]): Promise<void> {
  for (const channel of channels) {
    const sent = published.filter((event) => event.channel === channel);
    const got = eventsOf(received, channel);
    expect({ label, channel, count: got.length }).toEqual({ label, channel, count: sent.length });
    for (const [i, event] of sent.entries()) {
      const { event: type, id, data } = got[i]!;
      expect({ label, type, data }).toEqual({ label, type: event.type, data: await storedEnvelope(channel, event.id) });
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      const cursor = decodeCursor(id!);
      expect(cursor.size).toBe(channels.length);
      expect(cursor.get(channelHash(channel))).toEqual(parseStreamId(event.id));
    }
  }
}

test('every awkward string, published through the SDK and over HTTP, reaches every parser byte for byte', async () => {
  const single = await captureStream(rig.gw.url, streamPath([A]), auth());
  const multi = await captureStream(rig.gw.url, streamPath([A, B]), auth());
  const http10 = await captureStreamHttp10(rig.gw.url, streamPath([A, B]), auth());
  const pkg = packageClient([A, B], ['execution.log', 'execution.output']);
  const raw: CapturedStream[] = [single, multi, http10];
  try {
    expect(single.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(single.headers['transfer-encoding']).toBe('chunked');
    expect(http10.headers['transfer-encoding']).toBeUndefined();
    // The opening block: retry and a cursor, and no event dispatched; then heartbeats while idle.
    for (const stream of raw) await waitFor(() => stream.parsed.retries.length === 1 && stream.parsed.comments.includes('hb'), { message: 'retry and a heartbeat' });
    for (const stream of raw) expect(stream.parsed.retries).toEqual([RETRY_MS]);
    await waitFor(() => pkg.source.readyState === EventSource.OPEN, { message: 'the eventsource client to open' });

    const published: Published[] = [];
    for (const { viaSdk, viaHttp } of awkwardEvents([A, B])) {
      published.push({ ...viaSdk, id: (await rig.sdk.publish(viaSdk)).id });
      const http = await publishHttp(viaHttp);
      expect(http.status).toBe(202);
      published.push({ ...viaHttp, id: http.ids[0]! });
    }
    const batch = AWKWARD.map((text, i) => ({ channel: A, type: 'execution.log', data: { executionId: 'batch', level: 'warn', message: `${i}:${text}` } }));
    const { ids } = await rig.sdk.publishMany(batch);
    published.push(...batch.map((event, i) => ({ ...event, id: ids[i]! })));
    const httpBatch = await publishHttp(batch);
    published.push(...batch.map((event, i) => ({ ...event, id: httpBatch.ids[i]! })));

    const onA = published.filter((event) => event.channel === A).length;
    await single.waitForEvents(onA);
    await multi.waitForEvents(published.length);
    await http10.waitForEvents(published.length);
    await waitFor(() => pkg.events.length >= published.length, { message: `${published.length} events in the eventsource client` });

    await expectDelivered('HTTP/1.1, one channel', single.parsed.events, published, [A]);
    await expectDelivered('HTTP/1.1, two channels', multi.parsed.events, published, [A, B]);
    await expectDelivered('HTTP/1.0, two channels', http10.parsed.events, published, [A, B]);
    await expectDelivered('eventsource package', pkg.events.map(({ type, id, data }) => ({ event: type, id, data })), published, [A, B]);
    for (const stream of raw) expect(stream.parsed.errors).toEqual([]);
    // The strings themselves came back, lone surrogates included (escaped as \udXXX in the JSON).
    const messages = eventsOf(multi.parsed.events, A).map((event) => (JSON.parse(event.data) as { data: { message?: string } }).data.message);
    expect(messages).toEqual(expect.arrayContaining(AWKWARD.filter((_, i) => i % 2 === 0)));
    expect(multi.parsed.events.some((event) => event.data.includes('\\ud800'))).toBe(true);
  } finally {
    for (const stream of raw) stream.close();
    pkg.source.close();
  }
});

test('an event of exactly PUBLISH_MAX_BYTES is delivered whole through the SDK and over HTTP; one byte more is refused', async () => {
  const stream = await captureStream(rig.gw.url, streamPath([A]), auth());
  try {
    const event = (filler: number): { channel: string; type: string; data: { executionId: string; output: string } } => ({ channel: A, type: 'execution.output', data: { executionId: 'big', output: `😀${'x'.repeat(filler)}` } });
    const filler = MAX_BYTES - Buffer.byteLength(JSON.stringify(event(0)));
    expect(Buffer.byteLength(JSON.stringify(event(filler)))).toBe(MAX_BYTES);
    const viaSdk = await rig.sdk.publish(event(filler));
    const viaHttp = await publishHttp(event(filler));
    expect(viaHttp.status).toBe(202);
    await expect(rig.sdk.publish(event(filler + 1))).rejects.toThrow(EventValidationError);
    expect((await publishHttp(event(filler + 1))).status).toBe(413);
    await stream.waitForEvents(2);
    expect(stream.parsed.events.map((e) => e.data)).toEqual([await storedEnvelope(A, viaSdk.id), await storedEnvelope(A, viaHttp.ids[0]!)]);
    expect(stream.parsed.events.every((e) => e.data.length > MAX_BYTES)).toBe(true);
  } finally {
    stream.close();
  }
});

test('control events: gateway.gap after trimmed history, gateway.token_expired before the end, as named events with cursors', async () => {
  const C = 'conformance:gap';
  const trimming = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: rig.keys.prefix, historyMaxLen: 3 });
  const shortToken = await mintToken({ subscribe: [C], ttlS: 2 });
  try {
    const first = await captureStream(rig.gw.url, streamPath([C]), auth());
    const log = (n: number) => ({ channel: C, type: 'execution.log', data: { executionId: 'gap', level: 'info', message: `event ${n}` } });
    const { id: firstId } = await trimming.publish(log(1));
    await first.waitForEvents(1);
    first.close();
    const cursor = first.parsed.events[0]!.id!;
    const later: string[] = [];
    for (let n = 2; n <= 8; n++) later.push((await trimming.publish(log(n))).id);

    const resumed = await captureStream(rig.gw.url, streamPath([C]), { ...auth(), 'last-event-id': cursor });
    const pkg = packageClient([C], ['gateway.gap', 'execution.log'], cursor);
    try {
      await resumed.waitForEvents(4);
      await waitFor(() => pkg.events.length >= 4, { message: 'gap and 3 events in the eventsource client' });
      for (const events of [resumed.parsed.events.map(({ event, data }) => ({ type: event, data })), pkg.events.map(({ type, data }) => ({ type, data }))]) {
        expect(events[0]!.type).toBe('gateway.gap');
        expect(JSON.parse(events[0]!.data)).toMatchObject({ channel: C, type: 'gateway.gap', data: { channel: C, lastEventId: firstId, earliestId: later[4] } });
        expect(events.slice(1).map((event) => (JSON.parse(event.data) as { id: string }).id)).toEqual(later.slice(4));
      }
      for (const event of resumed.parsed.events) expect(event.id).toMatch(/^[A-Za-z0-9_-]+$/);
    } finally {
      resumed.close();
      pkg.source.close();
    }

    const expiring = await captureStream(rig.gw.url, streamPath([C]), { authorization: `Bearer ${shortToken}` });
    await expiring.ended;
    const [notice] = expiring.parsed.events;
    expect(notice?.event).toBe('gateway.token_expired');
    expect(notice?.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(notice!.data)).toMatchObject({ type: 'gateway.token_expired', data: { expiredAt: expect.any(String) } });
  } finally {
    await trimming.close();
  }
});
