// Property tests of what the gateway reads from the bus: live messages
// (publisher-sdk/src/protocol/envelope.ts parseLiveMessage) and history entries (history.ts
// historyEntryOf, gateway/src/hub/items.ts itemFromHistory). A message the publish script wrote
// round-trips byte for byte into an SSE frame that another parser reads back as exactly that
// event; anything else is refused with a reason, never thrown.
import fc from 'fast-check';
import { envelopeBody, envelopeJson, historyEntryOf, parseLiveMessage } from '@sse-gateway/publisher/protocol';
import { isEventType } from '@sse-gateway/schemas';
import { itemFromHistory } from '../../gateway/src/hub/items';
import { eventFrame } from '../../gateway/src/sse/frame';
import { awkwardString, channelName, runs } from '../helpers/property';
import { parseSse } from '../conformance/support/sse-parse';

const streamId = fc.tuple(fc.nat({ max: 2 ** 45 }), fc.nat({ max: 1000 })).map(([ms, seq]) => `${ms}-${seq}`);
const eventType = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}(\.[a-z0-9_-]{1,8}){0,2}$/);
const time = fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }).map((date) => date.toISOString());
/** JSON data with awkward strings anywhere, as a permissive schema would let through. */
const data = fc.jsonValue({ maxDepth: 3 }).chain((value) => fc.oneof(fc.constant(value), awkwardString().map((text) => ({ message: text, nested: [text, value] }))));

interface Stored {
  channel: string;
  prev: string;
  id: string;
  type: string;
  time: string;
  envelope: string;
}

/** A message exactly as the publish script builds it. */
const stored: fc.Arbitrary<Stored> = fc.record({ channel: channelName(), prev: streamId, id: streamId, type: eventType, time, data }).map((event) => ({
  ...event,
  envelope: envelopeJson(event.id, envelopeBody(event.channel, event.type, event.time, JSON.stringify(event.data))),
}));

/** The one event another parser reads from the frame the gateway writes for (type, envelope). */
function readBack(type: string, envelope: string | Buffer): { event?: string; data: string }[] {
  const frame = eventFrame('cursor', { type, envelope });
  // The HTTP/1.1 form is exactly one chunk around the HTTP/1.0 form.
  const head = `${frame.raw.length.toString(16)}\r\n`;
  expect(frame.chunked.equals(Buffer.concat([Buffer.from(head), frame.raw, Buffer.from('\r\n')]))).toBe(true);
  return parseSse([frame.raw]).events.map(({ event, data }) => ({ event, data }));
}

describe('live messages', () => {
  test('a message written by the publish script parses, and its frame reads back as that event', () => {
    fc.assert(
      fc.property(stored, (event) => {
        const parsed = parseLiveMessage(Buffer.from(`${event.prev} ${event.envelope}`), event.channel);
        if (!parsed.ok) throw new Error(`refused (${parsed.reason}): ${event.envelope}`);
        const { message } = parsed;
        expect([message.prev, message.id, message.type, message.time]).toEqual([event.prev, event.id, event.type, event.time]);
        expect(message.envelope.toString('utf8')).toBe(event.envelope);
        expect(readBack(message.type, message.envelope)).toEqual([{ event: event.type, data: event.envelope }]);
      }),
      runs(1000),
    );
  });

  test('any bytes, or a real message cut, spliced or for another channel, are refused or read back as one event', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((array) => Buffer.from(array)),
      fc.tuple(stored, fc.nat(), fc.nat()).map(([event, a, b]) => {
        const raw = Buffer.from(`${event.prev} ${event.envelope}`);
        return Buffer.concat([raw.subarray(0, a % (raw.length + 1)), raw.subarray(b % (raw.length + 1))]);
      }),
      fc.tuple(stored, awkwardString({ minLength: 1, maxLength: 6 }), fc.nat()).map(([event, insert, at]) => {
        const raw = `${event.prev} ${event.envelope}`;
        const i = at % (raw.length + 1);
        return Buffer.from(raw.slice(0, i) + insert + raw.slice(i));
      }),
      stored.map((event) => Buffer.from(`${event.prev} ${JSON.stringify({ ...JSON.parse(event.envelope), type: event.type + '\n\nevent: x' })}`)),
    );
    fc.assert(
      fc.property(bytes, fc.oneof(channelName(), fc.string()), (raw, channel) => {
        const parsed = parseLiveMessage(raw, channel);
        if (!parsed.ok) {
          expect(['malformed', 'invalid_envelope', 'wrong_channel']).toContain(parsed.reason);
          return;
        }
        expect(isEventType(parsed.message.type)).toBe(true);
        expect(readBack(parsed.message.type, parsed.message.envelope)).toEqual([{ event: parsed.message.type, data: parsed.message.envelope.toString('utf8') }]);
      }),
      runs(2500),
    );
  });
});

describe('history entries', () => {
  const fields = (event: Stored): string[] => ['p', event.prev, 'e', event.envelope.slice(`{"id":"${event.id}",`.length)];

  test('an entry written by the publish script becomes the same envelope, and its item reads back as that event', () => {
    fc.assert(
      fc.property(stored, (event) => {
        const entry = historyEntryOf(event.id, fields(event));
        expect(entry).toEqual({ id: event.id, prev: event.prev, envelope: event.envelope });
        const item = itemFromHistory(entry!);
        expect(item).toMatchObject({ kind: 'event', id: event.id, type: event.type, time: event.time, envelope: event.envelope });
        expect(readBack(item!.type, item!.envelope)).toEqual([{ event: event.type, data: event.envelope }]);
      }),
      runs(1000),
    );
  });

  test('any fields and any envelope give an entry, an item or undefined, never an exception', () => {
    const anyFields = fc.array(fc.oneof(fc.constantFrom('p', 'e', 'x'), streamId, fc.string({ maxLength: 30 }), fc.json({ maxDepth: 2 })), { maxLength: 7 });
    fc.assert(
      fc.property(fc.oneof(streamId, fc.string({ maxLength: 20 })), anyFields, (id, list) => {
        const entry = historyEntryOf(id, list);
        if (entry === undefined) return;
        const item = itemFromHistory(entry);
        if (item === undefined) return;
        expect(item.envelope).toBe(entry.envelope);
        expect(item.envelope).not.toMatch(/[\r\n]/);
      }),
      runs(4000),
    );
  });
});
