// One timer for every token expiry: order, cancellation, and no closed connection kept alive.
import { Deadlines } from '../../gateway/src/sse/deadlines';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('items come due in time order, each once, whatever the order they were added in', () => {
  const due: string[] = [];
  const deadlines = new Deadlines<string>((item) => due.push(item));
  const now = Date.now();
  for (const [name, inMs] of [['c', 300], ['a', 100], ['d', 400], ['b', 200]] as const) deadlines.add(now + inMs, name);
  jest.advanceTimersByTime(150);
  expect(due).toEqual(['a']);
  jest.advanceTimersByTime(300);
  expect(due).toEqual(['a', 'b', 'c', 'd']);
  expect(deadlines.size).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
  deadlines.close();
});

test('a cancelled item never comes due, and cancelled entries are swept so nothing is held for long', () => {
  const due: number[] = [];
  const deadlines = new Deadlines<number>((item) => due.push(item));
  const now = Date.now();
  const handles = Array.from({ length: 200 }, (_, i) => deadlines.add(now + 3_600_000 + i, i));
  for (const handle of handles.slice(0, 150)) handle.cancel();
  expect(deadlines.size).toBeLessThanOrEqual(100); // swept when half were cancelled
  handles[0]?.cancel(); // twice is harmless
  jest.advanceTimersByTime(3_700_000);
  expect(due).toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
  deadlines.close();
});

test('an earlier deadline re-arms the timer; close() clears it', () => {
  const due: string[] = [];
  const deadlines = new Deadlines<string>((item) => due.push(item));
  deadlines.add(Date.now() + 10_000, 'late');
  deadlines.add(Date.now() + 10, 'early');
  jest.advanceTimersByTime(20);
  expect(due).toEqual(['early']);
  deadlines.close();
  expect(jest.getTimerCount()).toBe(0);
  jest.advanceTimersByTime(20_000);
  expect(due).toEqual(['early']);
});

test('when every item is cancelled, nothing is kept: no entry, no timer', () => {
  const deadlines = new Deadlines<string>(() => undefined);
  const now = Date.now();
  const handles = ['a', 'b', 'c'].map((name, i) => deadlines.add(now + 60_000 * (i + 1), name));
  expect(jest.getTimerCount()).toBe(1);
  for (const handle of handles) handle.cancel();
  expect(deadlines.size).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
  deadlines.add(now + 1000, 'd'); // and it still works afterwards
  expect(jest.getTimerCount()).toBe(1);
  deadlines.close();
});
