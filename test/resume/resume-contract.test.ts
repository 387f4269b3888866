// Resuming with Last-Event-ID, the same contract on both buses: trimmed history and gaps,
// `earliest`, bad cursors, and cursors over a changed channel set.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { createEventValidator, type EventInput } from '@sse-gateway/publisher/protocol';
import { encodeCursor, channelHash } from '../../gateway/src/sse/cursor';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { httpJson, SseClient, type ReceivedEvent } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';

interface Harness {
  gw: TestGateway;
  publish(events: EventInput[]): Promise<string[]>;
  close(): Promise<void>;
}

const validator = createEventValidator();

const buses: [string, () => Promise<Harness>][] = [
  [
    'in-memory bus',
    async () => {
      const gw = await startGateway({ HISTORY_MAXLEN: '10' });
      return { gw, publish: async (events) => (await gw.gateway.bus.publish(validator.prepare(events))).ids, close: () => gw.close() };
    },
  ],
  [
    'Redis bus',
    async () => {
      const prefix = uniquePrefix('resume');
      const gw = await startGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
      const publisher: Publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix, historyMaxLen: 10 });
      return {
        gw,
        publish: async (events) => (await publisher.publishMany(events)).ids,
        close: async () => {
          await publisher.close();
          await gw.close();
        },
      };
    },
  ],
];

describe.each(buses)('%s', (_name, makeHarness) => {
  let h: Harness;
  let token: string;
  const clients: SseClient[] = [];
  beforeEach(async () => {
    h = await makeHarness();
    token = await mintToken();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await h.close();
  });

  const steps = (channel: string, from: number, count: number): EventInput[] =>
    Array.from({ length: count }, (_, i) => ({ channel, type: 'execution.progress', data: { executionId: 'r', step: from + i } }));

  async function connect(channels: string[], lastEventId?: string): Promise<SseClient> {
    const client = new SseClient(h.gw.url, { channels, token, lastEventId });
    clients.push(client);
    await client.waitForOpen();
    return client;
  }

  /** The cursor a client holds after receiving the first `n` of `ids` on `channels`. */
  async function cursorAfter(channels: string[], ids: string[], n: number): Promise<string> {
    const client = await connect(channels, 'earliest');
    const events = await client.waitForEvents(n);
    client.close();
    const nth = events[n - 1] as ReceivedEvent;
    expect(nth.data.id).toBe(ids[n - 1]); // the cursor really is the one after event n
    return nth.lastEventId;
  }

  test('resume after a reconnect: exactly the events after the cursor, in order', async () => {
    const first = await h.publish(steps('execution:r1', 0, 5));
    const cursor = await cursorAfter(['execution:r1'], first, 3);
    const rest = await h.publish(steps('execution:r1', 5, 4));
    const resumed = await connect(['execution:r1'], cursor);
    const events = await resumed.waitForEvents(6);
    expect(events.map((e) => e.data.id)).toEqual([...first.slice(3), ...rest]);
    const live = await h.publish(steps('execution:r1', 9, 1));
    expect((await resumed.waitForEvents(7)).map((e) => e.data.id).slice(-1)).toEqual(live);
    expect(resumed.events.filter((e) => e.type === 'gateway.gap')).toEqual([]);
  });

  test('trimmed history: gateway.gap first, then exactly the 10 retained events', async () => {
    const head = await h.publish(steps('execution:trim', 0, 10));
    const cursor = await cursorAfter(['execution:trim'], head, 10);
    const more = await h.publish(steps('execution:trim', 10, 50));
    const resumed = await connect(['execution:trim'], cursor);
    await resumed.waitForEvents(10);
    expect(resumed.events[0]?.type).toBe('gateway.gap');
    expect(resumed.events[0]?.data.data).toEqual({ channel: 'execution:trim', lastEventId: head[9], earliestId: more[40] });
    expect(resumed.published.map((e) => e.data.id)).toEqual(more.slice(40));
  });

  test('earliest replays exactly the retained events, without a gap', async () => {
    const ids = await h.publish(steps('execution:early', 0, 25));
    const client = await connect(['execution:early'], 'earliest');
    const events = await client.waitForEvents(10);
    expect(events.map((e) => e.data.id)).toEqual(ids.slice(15));
    expect(client.events.filter((e) => e.type === 'gateway.gap')).toEqual([]);
  });

  test('a cursor on the event just before the oldest retained one gets no gap', async () => {
    const ids = await h.publish(steps('execution:edge', 0, 10));
    const cursor = await cursorAfter(['execution:edge'], ids, 10);
    const retained = await h.publish(steps('execution:edge', 10, 10)); // the first 10 are trimmed now
    const client = await connect(['execution:edge'], cursor);
    const events = await client.waitForEvents(10);
    expect(events.map((e) => e.data.id)).toEqual(retained);
    expect(client.events.filter((e) => e.type === 'gateway.gap')).toEqual([]);
  });

  test('a changed channel set keeps the positions of the channels kept; new ones start live', async () => {
    const a = await h.publish(steps('execution:keep', 0, 3));
    await h.publish(steps('execution:dropped', 0, 2));
    const old = await connect(['execution:keep', 'execution:dropped'], 'earliest');
    await old.waitForEvents(5);
    const cursor = old.events[old.events.length - 1]?.lastEventId as string;
    old.close();
    const aMore = await h.publish(steps('execution:keep', 3, 2));
    await h.publish(steps('execution:added', 0, 2)); // before the client comes: not for it
    const moved = await connect(['execution:keep', 'execution:added'], cursor);
    const addedLive = await h.publish(steps('execution:added', 2, 1));
    const events = await moved.waitForEvents(3);
    expect(events.filter((e) => e.data.channel === 'execution:keep').map((e) => e.data.id)).toEqual(aMore);
    expect(events.filter((e) => e.data.channel === 'execution:added').map((e) => e.data.id)).toEqual(addedLive);
    expect(a).toHaveLength(3);
  });

  test('Last-Event-ID wins over the lastEventId parameter', async () => {
    const ids = await h.publish(steps('execution:hdr', 0, 6));
    const cursor = await cursorAfter(['execution:hdr'], ids, 4);
    const client = new SseClient(h.gw.url, { channels: ['execution:hdr'], token, lastEventId: cursor });
    clients.push(client);
    // A query parameter that would be a 400 on its own loses to the header.
    const controller = new AbortController();
    const both = await fetch(`${h.gw.url}/v1/stream?channel=execution:hdr&lastEventId=garbage!`, {
      headers: { Authorization: `Bearer ${token}`, 'Last-Event-ID': cursor },
      signal: controller.signal,
    });
    expect(both.status).toBe(200);
    controller.abort();
    const alone = await httpJson(`${h.gw.url}/v1/stream?channel=execution:hdr&lastEventId=garbage!`, { headers: { Authorization: `Bearer ${token}` } });
    expect(alone.status).toBe(400);
    expect((await client.waitForEvents(2)).map((e) => e.data.id)).toEqual(ids.slice(4));
  });

  test('a header too large for HTTP is refused by the server (431) before it reaches the gateway', async () => {
    const res = await httpJson(`${h.gw.url}/v1/stream?channel=execution:bad`, { headers: { Authorization: `Bearer ${token}`, 'Last-Event-ID': 'A'.repeat(100000) } });
    expect(res.status).toBe(431);
    expect((await httpJson(`${h.gw.url}/healthz`)).status).toBe(200);
  });

  describe('bad cursors: 400 JSON, and the gateway keeps serving', () => {
    const valid = (): string => encodeCursor([{ hash: channelHash('execution:bad'), id: { ms: 1, seq: 0 } }]);
    const cases: [string, () => string][] = [
      ['garbage', () => 'not a cursor!'],
      ['base64 of nothing useful', () => 'AAAA'],
      ['a wrong version', () => { const b = Buffer.from(valid(), 'base64url'); b[0] = 9; return b.toString('base64url'); }],
      ['a tampered position', () => { const b = Buffer.from(valid(), 'base64url'); b[8] = (b[8] as number) ^ 1; return b.toString('base64url'); }],
      ['an id from the future', () => encodeCursor([{ hash: channelHash('execution:bad'), id: { ms: Date.now() + 86400000, seq: 0 } }])],
      ['a long value (over 4 KB)', () => 'A'.repeat(10000)],
    ];
    test.each(cases)('%s', async (_case, make) => {
      await h.publish(steps('execution:bad', 0, 2));
      const res = await httpJson(`${h.gw.url}/v1/stream?channel=execution:bad`, { headers: { Authorization: `Bearer ${token}`, 'Last-Event-ID': make() } });
      expect(res.status).toBe(400);
      expect((res.body as { error: { code: string } }).error.code).toBe('bad_cursor');
      const client = await connect(['execution:bad'], 'earliest');
      expect(await client.waitForEvents(2)).toHaveLength(2);
    });
  });
});
