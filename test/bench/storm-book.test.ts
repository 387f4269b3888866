// The storm's bookkeeping: a client's cursor and sequence across reconnects, what a measurement
// window counts, and where and when a client reconnects.
import { seededRandom } from '../../bench/lib/seeded-random';
import { ClientBook, emptyCounts, mergeCounts, nextGateway, reconnectDelay, type WindowCounts } from '../../bench/lib/storm-book';

function setup(): { window: { counts: WindowCounts }; book: ClientBook } {
  const window = { counts: emptyCounts() };
  return { window, book: new ClientBook(window) };
}

const event = (seq: number, id = `c${seq}`): { id: string; event: string; seq: number; sentAt: number } => ({ id, event: 'bench.tick', seq, sentAt: 0 });

describe('a client across reconnects', () => {
  test('keeps the cursor of every block, the opening block included, and the stream\'s retry:', () => {
    const { book } = setup();
    expect(book.block({ retry: 1500, id: 'open-cursor' }, 0)).toBe(false);
    expect(book.cursor).toBe('open-cursor');
    expect(book.retryMs).toBe(1500);
    expect(book.block(event(1), 0)).toBe(true);
    expect(book.cursor).toBe('c1');
    // A heartbeat or a control event without an id leaves the cursor alone.
    book.block({ event: 'gateway.gap' }, 0);
    expect(book.cursor).toBe('c1');
  });

  test('counts events missing, repeated or out of order, across a reconnect', () => {
    const { window, book } = setup();
    for (const seq of [1, 2, 3]) book.block(event(seq), 0);
    book.closed();
    book.opened(10, 3);
    for (const seq of [3, 5, 4, 6]) book.block(event(seq), 20);
    expect(window.counts).toMatchObject({ lost: 1, duplicated: 2 });
    expect(book.lastSeq).toBe(6);
    expect(book.behind(8)).toBe(2);
    expect(book.behind(6)).toBe(0);
  });

  test('a moved client is resumed at its 200 and caught up once it has what the others had then', () => {
    const { window, book } = setup();
    book.block(event(1), 0);
    book.closed();
    expect(book.settled).toBe(false);
    book.attempt(2000);
    book.opened(2100, 4); // the others have seen up to 4
    expect(window.counts).toMatchObject({ moved: 1, resumed: 1, caughtUp: 0, firstAttemptAt: 2000, lastResumedAt: 2100 });
    book.block(event(2), 2110);
    book.block(event(3), 2120);
    expect(book.settled).toBe(false);
    book.block(event(4), 2130);
    expect(book.settled).toBe(true);
    expect(window.counts).toMatchObject({ caughtUp: 1, lastCaughtUpAt: 2130, lost: 0 });
  });

  test('a resume with nothing missed is caught up at once; a first connect is no resume', () => {
    const { window, book } = setup();
    book.opened(5, 0);
    expect(window.counts.resumed).toBe(0);
    book.block(event(1), 6);
    book.closed();
    book.opened(100, 1);
    expect(book.settled).toBe(true);
    expect(window.counts).toMatchObject({ moved: 1, resumed: 1, caughtUp: 1, lastCaughtUpAt: 100 });
  });

  test('refused attempts count and grow the backoff; an open stream resets it', () => {
    const { window, book } = setup();
    book.closed();
    book.refused('HTTP 503');
    book.refused('ECONNREFUSED');
    book.refused('HTTP 503');
    expect(book.failures).toBe(3);
    expect(window.counts.refused).toBe(3);
    expect(window.counts.refusals).toEqual({ 'HTTP 503': 2, ECONNREFUSED: 1 });
    book.opened(1, 0);
    expect(book.failures).toBe(0);
  });

  test('a new window forgets settled clients and counts the ones still on their way', () => {
    const { window, book } = setup();
    const other = new ClientBook(window);
    book.closed();
    other.block(event(1), 0);
    window.counts = emptyCounts();
    book.newWindow();
    other.newWindow();
    expect(window.counts.moved).toBe(1);
    expect(book.moved).toBe(true);
    expect(other.moved).toBe(false);
    // Moved once per window, however often it reconnects in it.
    book.opened(1, 1);
    book.closed();
    book.opened(2, 1);
    expect(window.counts).toMatchObject({ moved: 1, resumed: 1 });
  });
});

describe('merging the processes\' counts', () => {
  test('sums the counts, keeps the earliest attempt and the latest resume and catch-up', () => {
    const a = { ...emptyCounts(), moved: 2, resumed: 2, caughtUp: 2, refused: 1, refusals: { timeout: 1 }, firstAttemptAt: 200, lastResumedAt: 300, lastCaughtUpAt: 400 };
    const b = { ...emptyCounts(), moved: 1, resumed: 1, caughtUp: 1, lost: 1, refused: 2, refusals: { timeout: 1, 'HTTP 503': 1 }, firstAttemptAt: 150, lastResumedAt: 350, lastCaughtUpAt: 360 };
    const idle = emptyCounts();
    expect(mergeCounts([a, idle, b])).toEqual({
      ...emptyCounts(), moved: 3, resumed: 3, caughtUp: 3, lost: 1, refused: 3, refusals: { timeout: 2, 'HTTP 503': 1 }, firstAttemptAt: 150, lastResumedAt: 350, lastCaughtUpAt: 400,
    });
  });
});

describe('reconnecting', () => {
  test('an EventSource waits exactly retry:, the client library a full jitter that doubles per failure', () => {
    expect(reconnectDelay('eventsource', 2000, 0, 0.9)).toBe(2000);
    expect(reconnectDelay('eventsource', 2000, 3, 0.9)).toBe(2000);
    expect(reconnectDelay('client', 2000, 0, 0.5)).toBe(1000);
    expect(reconnectDelay('client', 2000, 2, 0.5)).toBe(4000);
    expect(reconnectDelay('client', 2000, 10, 0.5)).toBe(15_000); // capped at 30 s
  });

  test('the clients of a gateway spread evenly over the others, never back to it', () => {
    for (const leaving of [0, 1, 2]) {
      const counts = [0, 0, 0];
      for (let rotation = 0; rotation < 600; rotation++) counts[nextGateway(rotation, 3, leaving)]!++;
      expect(counts[leaving]).toBe(0);
      expect(counts.filter((_, i) => i !== leaving)).toEqual([300, 300]);
    }
    expect(nextGateway(7, 1, 0)).toBe(0);
  });

  test('the jitter is the same on every run for the same client, and differs between clients', () => {
    const a = seededRandom(1);
    const again = seededRandom(1);
    const b = seededRandom(2);
    const first = [a(), a(), a()];
    expect([again(), again(), again()]).toEqual(first);
    expect(b()).not.toBe(first[0]);
    for (const value of first) expect(value >= 0 && value < 1).toBe(true);
  });
});
