import { ZERO_ID } from '@sse-gateway/publisher/protocol';
import { progressEvents } from '../helpers/events';
import { MemoryBus, type MemoryBusOptions } from '../../gateway/src/bus/memory-bus';

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; set: (ms: number) => void; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, set: (ms) => (current = ms), advance: (ms) => (current += ms) };
}

function memoryBus(overrides: Partial<MemoryBusOptions> = {}): MemoryBus {
  return new MemoryBus({ historyMaxLen: 100, historyTtlS: 10, ...overrides });
}

test('delivers synchronously, before publish returns', () => {
  const bus = memoryBus();
  const received: string[] = [];
  void bus.subscribe('exec:sync', (raw) => received.push(raw.toString()));
  void bus.publish(progressEvents('exec:sync', 2));
  expect(received).toHaveLength(2);
  expect(received[0]?.startsWith(`${ZERO_ID} {"id":"`)).toBe(true);
});

test('ids are <ms>-<seq>, increasing within a millisecond and never behind the last one', async () => {
  const clock = manualClock(5000);
  const bus = memoryBus({ now: clock.now });
  expect((await bus.publish(progressEvents('exec:ids', 3))).ids).toEqual(['5000-0', '5000-1', '5000-2']);
  clock.set(4000); // the clock went back
  expect((await bus.publish(progressEvents('exec:ids', 1))).ids).toEqual(['5000-3']);
  clock.set(6000);
  expect((await bus.publish(progressEvents('exec:ids', 1))).ids).toEqual(['6000-0']);
  expect((await bus.publish(progressEvents('exec:other', 1))).ids).toEqual(['6000-0']);
});

test('a clock at 0 still never produces 0-0', async () => {
  const bus = memoryBus({ now: () => 0 });
  expect((await bus.publish(progressEvents('exec:zero', 2))).ids).toEqual(['0-1', '0-2']);
});

test('history expires historyTtlS after the last event of its channel, each event refreshing it', async () => {
  const clock = manualClock();
  const bus = memoryBus({ now: clock.now, historyTtlS: 10 });
  const { ids: [first] } = await bus.publish(progressEvents('exec:ttl', 1));
  clock.advance(6000);
  const { ids: [second] } = await bus.publish(progressEvents('exec:ttl', 1, 1));
  clock.advance(9999); // 15.999 s after the first, 9.999 s after the second
  expect((await bus.history('exec:ttl', ZERO_ID, 10)).map((e) => e.id)).toEqual([first, second]);
  clock.advance(1);
  expect(await bus.head('exec:ttl')).toBeUndefined();
  expect(await bus.history('exec:ttl', ZERO_ID, 10)).toEqual([]);
  // Like a Redis stream that expired: a new chain starts.
  const { ids: [third] } = await bus.publish(progressEvents('exec:ttl', 1, 2));
  expect(await bus.history('exec:ttl', ZERO_ID, 10)).toEqual([expect.objectContaining({ id: third, prev: ZERO_ID })]);
});

test('an expired channel is forgotten by a later publish elsewhere, and the next id starts over', async () => {
  const clock = manualClock(10_000);
  const bus = memoryBus({ now: clock.now, historyTtlS: 1 });
  await bus.publish(progressEvents('exec:old', 3));
  clock.set(11_000);
  await bus.publish(progressEvents('exec:new', 1));
  clock.set(9_000); // even with the clock behind, the forgotten channel restarts from the clock
  expect((await bus.publish(progressEvents('exec:old', 1))).ids).toEqual(['9000-0']);
});

test('the ring keeps exactly historyMaxLen entries and searches them by id', async () => {
  const bus = memoryBus({ historyMaxLen: 3 });
  const { ids } = await bus.publish(progressEvents('exec:ring', 7));
  const history = await bus.history('exec:ring', ZERO_ID, 10);
  expect(history.map((e) => e.id)).toEqual(ids.slice(4));
  expect(history.map((e) => e.prev)).toEqual(ids.slice(3, 6));
  expect((await bus.history('exec:ring', ids[1] as string, 10)).map((e) => e.id)).toEqual(ids.slice(4));
  expect((await bus.history('exec:ring', ids[4] as string, 1)).map((e) => e.id)).toEqual([ids[5]]);
});

test('a throwing handler is reported and does not fail the publish', async () => {
  const errors: Error[] = [];
  const bus = memoryBus({ onError: (error) => errors.push(error) });
  const received: Buffer[] = [];
  await bus.subscribe('exec:bad', () => {
    throw new Error('handler bug');
  });
  await bus.subscribe('exec:good', (raw) => received.push(raw));
  const { ids } = await bus.publish([...progressEvents('exec:bad', 1), ...progressEvents('exec:good', 1)]);
  expect(ids).toHaveLength(2);
  expect(received).toHaveLength(1);
  expect(errors.map((e) => e.message)).toEqual(['handler bug']);
});

test('refuses a history length below 1', () => {
  expect(() => memoryBus({ historyMaxLen: 0 })).toThrow(RangeError);
});
