// Property tests of the event validator shared by the SDK and POST /v1/publish
// (publisher-sdk/src/protocol/validate.ts): any value gives either prepared events whose envelope
// is the event, byte for byte, or an EventValidationError listing problems; nothing else.
import fc from 'fast-check';
import { EventValidationError } from '@sse-gateway/publisher';
import { loadSchemaRegistry } from '@sse-gateway/schemas';
import { createEventValidator, envelopeJson, type PreparedEvent } from '@sse-gateway/publisher/protocol';
import { asJson, validEvent } from '../helpers/event-arbitraries';
import { awkwardString, runs } from '../helpers/property';

const registry = loadSchemaRegistry();
const validator = createEventValidator({ registry });
const NOW = new Date('2026-11-25T09:47:30.183Z');

function prepareOrRefuse(events: unknown, batch: boolean): PreparedEvent[] | EventValidationError {
  try {
    return validator.prepare(events as unknown[], { batch, now: NOW });
  } catch (error) {
    if (error instanceof EventValidationError) return error;
    throw new Error(`untyped error from prepare: ${String(error)}`);
  }
}

test('valid events (one or a batch) are prepared, and their envelope is the event', () => {
  fc.assert(
    fc.property(fc.array(validEvent, { minLength: 1, maxLength: 5 }), fc.boolean(), (events, batch) => {
      const input = batch ? events : events.slice(0, 1);
      const prepared = validator.prepare(input, { batch, now: NOW });
      expect(prepared).toHaveLength(input.length);
      prepared.forEach((event, i) => {
        const sent = input[i]!;
        const envelope = envelopeJson('1-0', event.body);
        expect(envelope).not.toMatch(/[\r\n\0]/); // one line, as an SSE data: field needs
        expect(JSON.parse(envelope)).toEqual({ id: '1-0', channel: sent.channel, type: sent.type, time: NOW.toISOString(), data: asJson(sent.data) });
        expect(JSON.parse(event.dataJson)).toEqual(asJson(sent.data));
      });
    }),
    runs(600),
  );
});

test('any JSON value or any JS value is prepared or refused with EventValidationError, whose problems each have a path', () => {
  const mutated = fc.tuple(validEvent, fc.constantFrom('channel', 'type', 'data', 'extra'), fc.anything({ maxDepth: 2 })).map(([event, key, value]) => ({ ...event, [key]: value }));
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 3, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }), mutated, fc.array(mutated, { maxLength: 4 }));
  fc.assert(
    fc.property(anyValue, fc.boolean(), (value, batch) => {
      const result = prepareOrRefuse(Array.isArray(value) ? value : [value], batch);
      if (!(result instanceof EventValidationError)) {
        for (const event of result) expect(() => JSON.parse(envelopeJson('1-0', event.body))).not.toThrow();
        return;
      }
      expect(result.errors.length).toBeGreaterThan(0);
      for (const problem of result.errors) {
        expect(problem.path.startsWith('/')).toBe(true);
        expect(typeof problem.message).toBe('string');
      }
    }),
    runs(1500),
  );
});

test('lone surrogates and other awkward strings are escaped in the envelope and come back unchanged', () => {
  fc.assert(
    fc.property(awkwardString({ maxLength: 60 }), (message) => {
      const [event] = validator.prepare([{ channel: 'execution:1', type: 'execution.log', data: { executionId: '1', level: 'info', message } }], { now: NOW });
      const envelope = envelopeJson('1-0', event!.body);
      expect(Buffer.from(envelope, 'utf8').toString('utf8')).toBe(envelope); // well-formed: survives UTF-8
      expect((JSON.parse(envelope) as { data: { message: string } }).data.message).toBe(message);
    }),
    runs(1500),
  );
});

test('the size limit counts UTF-8 bytes of the event JSON: an event at the limit passes, one byte over is refused', () => {
  const small = createEventValidator({ registry, maxEventBytes: 300 });
  fc.assert(
    fc.property(awkwardString({ minLength: 1, maxLength: 30 }), (text) => {
      const event = { channel: 'execution:1', type: 'execution.output', data: { executionId: '1', output: text } };
      const size = Buffer.byteLength(JSON.stringify(event));
      const sized = createEventValidator({ registry, maxEventBytes: size });
      expect(sized.prepare([event], { now: NOW })).toHaveLength(1);
      const over = createEventValidator({ registry, maxEventBytes: size - 1 });
      expect(() => over.prepare([event], { now: NOW })).toThrow(EventValidationError);
      if (size > 300) expect(() => small.prepare([event], { now: NOW })).toThrow(EventValidationError);
    }),
    runs(500),
  );
});
