// The in-memory bus's idempotency keys and retained state on a fake clock: exact expiry, a key's
// TTL from its first event (never refreshed by duplicates), the state's TTL refreshed by each
// retained write, and a hard cap on remembered keys.
import { MemoryBus } from '../../gateway/src/bus/memory-bus';
import { RememberedKeys } from '../../gateway/src/bus/remembered-keys';
import { prepared } from '../helpers/events';

const keyed = (key: string, step = 1): ReturnType<typeof prepared> =>
  prepared({ channel: 'exec:1', type: 'execution.progress', data: { executionId: '1', step }, idempotencyKey: key });
const retained = (step: number): ReturnType<typeof prepared> => prepared({ channel: 'exec:1', type: 'execution.progress', data: { executionId: '1', step }, retain: true });

test('a key lives idempotencyTtlS from its first event; duplicates do not extend it', async () => {
  let now = 1000000;
  const bus = new MemoryBus({ historyMaxLen: 10, historyTtlS: 3600, idempotencyTtlS: 60, now: () => now });
  const { ids: [first] } = await bus.publish(keyed('a'));
  now += 59999;
  expect(await bus.publish(keyed('a'))).toEqual({ ids: [first], duplicates: [0] });
  now += 1; // 60 s after the first event, whatever the duplicate did
  const again = await bus.publish(keyed('a'));
  expect(again.duplicates).toEqual([]);
  expect(again.ids[0]).not.toBe(first);
});

test('the state lives stateTtlS after the last retained write, each one pushing it back', async () => {
  let now = 1000000;
  const bus = new MemoryBus({ historyMaxLen: 10, historyTtlS: 3600, stateTtlS: 100, now: () => now });
  await bus.publish(retained(1));
  now += 90000;
  const { ids: [second] } = await bus.publish(retained(2));
  now += 90000; // 180 s after the first write, 90 s after the second
  expect((await bus.state('exec:1')).map((event) => event.id)).toEqual([second]);
  now += 10000;
  expect(await bus.state('exec:1')).toEqual([]);
});

test('remembered keys are capped: past the cap the oldest is forgotten first', () => {
  const keys = new RememberedKeys(3);
  for (const key of ['a', 'b', 'c', 'd']) keys.remember('exec:1', key, `${key}-id`, 60000, 0);
  expect(['a', 'b', 'c', 'd'].map((key) => keys.find('exec:1', key, 1))).toEqual([undefined, 'b-id', 'c-id', 'd-id']);
  expect(keys.find('exec:2', 'b', 1)).toBeUndefined();
  expect(keys.find('exec:1', 'b', 60000)).toBeUndefined();
});

test('past the cap the key closest to expiry goes, whatever the order of writes and TTLs', () => {
  const day = 86400000;
  const keys = new RememberedKeys(4);
  keys.remember('exec:1', 'long', 'long-id', day, 0);
  for (const key of ['a', 'b', 'c']) keys.remember('exec:1', key, `${key}-id`, 600000, 0);
  // The three 600 s keys expired; the 24 h key, written before them, must outlive them all.
  keys.remember('exec:1', 'd', 'd-id', 600000, 700000);
  keys.remember('exec:1', 'e', 'e-id', 600000, 700001);
  keys.remember('exec:1', 'f', 'f-id', 60000, 700002);
  expect(['long', 'a', 'd', 'e', 'f'].map((key) => keys.find('exec:1', key, 700003))).toEqual(['long-id', undefined, 'd-id', 'e-id', 'f-id']);
  // Full of live keys: the next write forgets the one closest to expiry (f, 60 s), not the oldest.
  keys.remember('exec:1', 'g', 'g-id', 600000, 700004);
  expect(['long', 'd', 'e', 'f', 'g'].map((key) => keys.find('exec:1', key, 700005))).toEqual(['long-id', 'd-id', 'e-id', undefined, 'g-id']);
});
