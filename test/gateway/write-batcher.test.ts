// The write batcher: every held socket is uncorked once per flush, in order; a long flush yields to
// the event loop between slices; what is held meanwhile goes out in the next flush.
import { SLICE_MS, WriteBatcher, type Corkable } from '../../gateway/src/sse/write-batcher';
import { waitFor } from '../helpers/wait-for';

/** A socket stand-in whose uncork takes `costMs` of CPU, like a send syscall to a slow peer. */
class Target implements Corkable {
  corks = 0;
  constructor(
    readonly id: number,
    private readonly log: number[],
    private readonly costMs = 0,
  ) {}

  cork(): void {
    this.corks++;
  }

  flush(): void {
    this.log.push(this.id);
    const until = performance.now() + this.costMs;
    while (performance.now() < until); // the cost is CPU time the event loop cannot use
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('held targets are corked once and uncorked once, in order, on the next turn', async () => {
  const log: number[] = [];
  const batcher = new WriteBatcher();
  const targets = [1, 2, 3].map((id) => new Target(id, log));
  for (const target of targets) batcher.hold(target);
  expect(log).toEqual([]);
  await nextTurn();
  expect(log).toEqual([1, 2, 3]);
  expect(targets.map((t) => t.corks)).toEqual([1, 1, 1]);
  batcher.close();
});

test(`a flush longer than ${SLICE_MS} ms lets other callbacks run between slices; targets held meanwhile wait for the next flush`, async () => {
  const log: number[] = [];
  const batcher = new WriteBatcher();
  // 64 targets (one look at the clock) of 0.2 ms each pass the slice.
  const targets = Array.from({ length: 200 }, (_, id) => new Target(id, log, 0.2));
  for (const target of targets) batcher.hold(target);
  const late = new Target(1000, log);
  let seenBetween = -1;
  setImmediate(() => {
    // Runs after the first slice, before the flush goes on.
    seenBetween = log.length;
    batcher.hold(targets[0] as Target); // already uncorked: written to again
    batcher.hold(late);
  });
  await waitFor(() => log.length === 202, { message: 'every target flushed' });
  expect(seenBetween).toBeGreaterThanOrEqual(64);
  expect(seenBetween).toBeLessThan(200);
  expect(log.slice(0, 200)).toEqual(targets.map((t) => t.id));
  expect(log.slice(200)).toEqual([0, 1000]);
  batcher.close();
});

test('close() flushes the rest of a sliced flush and everything held, at once and in order', async () => {
  const log: number[] = [];
  const batcher = new WriteBatcher();
  const targets = Array.from({ length: 200 }, (_, id) => new Target(id, log, 0.2));
  for (const target of targets) batcher.hold(target);
  const late = new Target(1000, log);
  const closed = new Promise<number>((resolve) => {
    setImmediate(() => {
      batcher.hold(late);
      const before = log.length;
      batcher.close();
      resolve(before);
    });
  });
  expect(await closed).toBeLessThan(200);
  expect(log).toEqual([...targets.map((t) => t.id), 1000]);
  await nextTurn(); // where the cleared continuation would have run
  await nextTurn();
  expect(log).toHaveLength(201); // nothing flushed twice by a leftover callback
});
