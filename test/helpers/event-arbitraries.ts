// fast-check arbitraries of events for the bundled types, valid by their schemas, with awkward
// strings wherever a schema allows free text (shared by the fuzz and conformance tests).
import fc from 'fast-check';
import { awkwardString, channelName } from './property';

export interface TestEvent {
  channel: string;
  type: string;
  data: Record<string, unknown>;
}

const executionId = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 });
const text = (maxLength: number): fc.Arbitrary<string> => awkwardString({ maxLength: Math.min(maxLength, 40) });
const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined });

function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}

const dataOf: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  'execution.status': fc.record({
    executionId,
    status: fc.constantFrom('queued', 'running', 'succeeded', 'failed', 'cancelled'),
    message: optional(text(4000)),
  }),
  'execution.log': fc.record({
    executionId,
    level: fc.constantFrom('debug', 'info', 'warn', 'error'),
    message: text(16000),
    agent: optional(awkwardString({ minLength: 1, maxLength: 20 }).filter((s) => s.length > 0)),
  }),
  'execution.output': fc.record({
    executionId,
    output: fc.oneof(text(100), fc.jsonValue({ maxDepth: 2 }), fc.dictionary(text(10), text(20), { maxKeys: 4 })),
    final: optional(fc.boolean()),
  }),
};

/** A valid event of a bundled type. */
export const validEvent: fc.Arbitrary<TestEvent> = fc
  .constantFrom(...Object.keys(dataOf))
  .chain((type) => fc.record({ channel: channelName(), type: fc.constant(type), data: (dataOf[type] as fc.Arbitrary<Record<string, unknown>>).map(withoutUndefined) }));

/** What JSON keeps of a value: `-0` becomes 0, and so on. The envelope carries this. */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
