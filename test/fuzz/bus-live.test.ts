// Garbage on a channel's live pub/sub channel, through real Redis into a real gateway: every
// message that is not a valid envelope is dropped and counted, and the channel's clients get
// exactly the events that were really published, as if nothing had happened.
import fc from 'fast-check';
import { envelopeBody, envelopeJson, parseLiveMessage } from '@sse-gateway/publisher/protocol';
import { awkwardString, runs } from '../helpers/property';
import { startRedisGateway, type RedisGateway } from '../helpers/redis-gateway';
import { mintToken } from '../helpers/tokens';
import { captureStream } from '../conformance/support/raw-stream';
import { metric } from './support/http';

const CHANNEL = 'fuzz:live';
let rig: RedisGateway;

beforeAll(async () => {
  rig = await startRedisGateway('fuzzlive');
});

afterAll(() => rig.close());

const realLooking = fc.tuple(fc.nat(), fc.nat(), awkwardString({ maxLength: 8 })).map(([a, b, text]) => {
  const raw = `0-0 ${envelopeJson('1-0', envelopeBody(CHANNEL, 'execution.log', '2026-11-25T09:47:30.183Z', JSON.stringify({ executionId: '1', level: 'info', message: text })))}`;
  return Buffer.from(raw.slice(0, a % raw.length) + text + raw.slice(b % raw.length));
});
const garbage = fc
  .oneof(fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)), fc.json().map((text) => Buffer.from(`0-0 ${text}`)), realLooking)
  .filter((raw) => !parseLiveMessage(raw, CHANNEL).ok);

test('invalid live messages are dropped and counted; the clients get exactly the published events', async () => {
  const stream = await captureStream(rig.gw.url, `/v1/stream?channel=${CHANNEL}`, { authorization: `Bearer ${await mintToken({ subscribe: [CHANNEL] })}` });
  const droppedBefore = await metric(rig.gw.url, 'sse_events_dropped_total');
  const published: string[] = [];
  let sentGarbage = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(garbage, { minLength: 1, maxLength: 5 }), async (messages) => {
        for (const raw of messages) await rig.redis.publish(rig.keys.liveChannel(CHANNEL), raw);
        sentGarbage += messages.length;
        // Each PUBLISH was answered before the event's script ran, so the gateway's one subscriber
        // connection gets the garbage first: once the event arrives, the garbage was handled.
        const { id } = await rig.sdk.publish({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'live', level: 'info', message: `after ${sentGarbage}` } });
        published.push(id);
        await stream.waitForEvents(published.length);
        expect(stream.parsed.events.map((event) => (JSON.parse(event.data) as { id: string }).id)).toEqual(published);
      }),
      runs(100),
    );
    expect(await metric(rig.gw.url, 'sse_events_dropped_total')).toBe(droppedBefore + sentGarbage);
  } finally {
    stream.close();
  }
});
