// A stream's life in the hub, one await at a time, without sockets or Redis: whatever step the
// client hangs up at (or the bus fails at), everything the stream took is given back exactly
// once — its admission slot, its channels (and their bus subscriptions), its replay memory, its
// timers — and the subject can open its full quota again.
import { encodeCursor, channelHash } from '../../gateway/src/sse/cursor';
import type { Resume, StreamRequest } from '../../gateway/src/hub/subscription';
import { createHarness, FakeSink, settle, type Harness } from './support/hub-harness';

const CHANNELS = ['execution:a', 'execution:b'];

function request(resume: Resume, overrides: Partial<StreamRequest> = {}): StreamRequest {
  return { subject: 'alice', channels: CHANNELS, resume, state: false, expiresAt: undefined, headers: {}, ...overrides };
}

const steps = (channel: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ channel, type: 'execution.progress', data: { executionId: 'x', step: from + i } }));

/** Everything a stream can hold is released: no stream, channel, subscription, grant or timer. */
async function expectNothingHeld(h: Harness): Promise<void> {
  await settle();
  expect(h.hub.streams.size).toBe(0);
  expect(h.hub.channelCount).toBe(0);
  expect(h.bus.subscribed.size).toBe(0);
  expect(h.hub.budget.inUse).toBe(0);
  expect(h.hub.budget.waiting).toBe(0);
  expect(h.hub.reads.inUse).toBe(0);
  expect(h.hub.reads.waiting).toBe(0);
  expect(h.hub.expiries.size).toBe(0);
  expect((await h.metrics.connections.get()).values[0]?.value).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
  // The subject's whole quota (3) is free again.
  for (let i = 0; i < 3; i++) h.hub.admission.admit('alice');
  expect(() => h.hub.admission.admit('alice')).toThrow(/too many open streams/);
}

interface Run {
  /** Steps the gate let through before the hang-up. */
  passed: string[];
  sink: FakeSink;
  outcome: 'resolved' | 'rejected';
}

/**
 * Opens a stream and lets `hangUpAt` gated steps through before the client hangs up (never, when
 * it is larger than the number of steps). Each step is one await of the handshake or replay.
 */
async function run(h: Harness, resume: Resume, hangUpAt: number, congestAfter = Infinity, state = true): Promise<Run> {
  const sink = new FakeSink(h.gate, congestAfter);
  let outcome: Run['outcome'] | undefined;
  h.hub.attach(sink, request(resume, { expiresAt: Date.now() + 3_600_000, state })).then(
    () => (outcome = 'resolved'),
    () => (outcome = 'rejected'),
  );
  for (let step = 0; ; step++) {
    await settle();
    if (step === hangUpAt) sink.hangUp();
    if (!h.gate.releaseNext()) break;
  }
  await settle();
  if (outcome === undefined) throw new Error(`the stream's open() never settled after ${h.gate.passed.join(', ')}`);
  return { passed: [...h.gate.passed], sink, outcome };
}

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
afterEach(() => jest.useRealTimers());

describe.each<[string, (h: Harness) => Promise<Resume>, number]>([
  ['live', async () => ({ kind: 'live' }), 1e9],
  [
    'live with state=1',
    async (h) => {
      await h.publish([{ ...steps('execution:a', 100, 1)[0]!, retain: true }, { channel: 'execution:b', type: 'execution.status', data: { executionId: 'x', status: 'running' }, retain: true }]);
      return { kind: 'live' };
    },
    1e9,
  ],
  ['earliest, with a replay congesting the socket', async () => ({ kind: 'earliest' }), 2000],
  [
    'a cursor, one channel ahead of its history',
    async (h) => {
      const [a] = await h.publish(steps('execution:a', 0, 1));
      const ahead = { ms: Date.now() + 60_000, seq: 0 };
      const [ms, seq] = (a as string).split('-').map(Number) as [number, number];
      return { kind: 'cursor', positions: new Map([[channelHash('execution:a'), { ms, seq }], [channelHash('execution:b'), ahead]]) };
    },
    1e9,
  ],
])('%s', (_name, makeResume, congestAfter) => {
  test('a hang-up at every await of the handshake and replay releases everything, once', async () => {
    // The whole run first: how many awaits there are, and that it ends live.
    const full = createHarness({ clientBufferBytes: 8192 }, 100);
    await full.publish([...steps('execution:a', 0, 30), ...steps('execution:b', 0, 30)]);
    const whole = await run(full, await makeResume(full), Infinity, congestAfter);
    expect(whole.outcome).toBe('resolved');
    expect(whole.sink.started).toBe(true);
    expect(whole.sink.closed).toBe(false);
    expect(full.hub.streams.size).toBe(1);
    expect(full.bus.subscribed.size).toBe(2);
    const total = whole.passed.length;
    expect(total).toBeGreaterThanOrEqual(4); // subscribe and head of each channel at least
    if (congestAfter < 1e9) expect(whole.passed.filter((label) => label === 'drain').length).toBeGreaterThan(5);
    whole.sink.hangUp();
    await expectNothingHeld(full);

    for (let hangUpAt = 0; hangUpAt <= total; hangUpAt++) {
      const h = createHarness({ clientBufferBytes: 8192 }, 100);
      await h.publish([...steps('execution:a', 0, 30), ...steps('execution:b', 0, 30)]);
      const cut = await run(h, await makeResume(h), hangUpAt, congestAfter);
      expect(cut.outcome).toBe('resolved'); // a hang-up is no error: nothing to answer
      expect(cut.sink.closed).toBe(true);
      expect(cut.sink.detached).toBe(false);
      await expectNothingHeld(h);
    }
  });
});

test('a bus that fails at any step before the stream starts: 503, everything released, the connection left to answer', async () => {
  const probe = createHarness();
  (await run(probe, { kind: 'live' }, Infinity)).sink.hangUp();
  const total = probe.gate.passed.length;
  for (let failAt = 0; failAt < total; failAt++) {
    const h = createHarness();
    const original = h.bus.inner.head.bind(h.bus.inner);
    let calls = 0;
    h.bus.inner.head = (channel) => (calls++ === failAt % 2 ? Promise.reject(new Error('Redis went away')) : original(channel));
    const sink = new FakeSink(h.gate);
    const opened = h.hub.attach(sink, request({ kind: 'live' }));
    opened.catch(() => undefined);
    while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
    await expect(opened).rejects.toMatchObject({ code: 'bus_unavailable' });
    expect(sink.detached).toBe(true);
    expect(sink.started).toBe(false);
    await expectNothingHeld(h);
  }
});

test.each(['head', 'history'] as const)('a bus whose %s fails while a cursor is checked: 503 bus_unavailable, everything released', async (read) => {
  const h = createHarness();
  await h.publish(steps('execution:a', 0, 1));
  // Ahead of what the gateway delivered: the stream's head and first entry are read to place it.
  const ahead = new Map([[channelHash('execution:a'), { ms: Date.now() + 60_000, seq: 0 }]]);
  const inner = h.bus.inner;
  if (read === 'head') {
    const original = inner.head.bind(inner);
    let calls = 0;
    inner.head = (channel) => (++calls === 2 ? Promise.reject(new Error('Redis went away')) : original(channel));
  } else {
    inner.history = () => Promise.reject(new Error('Redis went away'));
  }
  const sink = new FakeSink(h.gate);
  const opened = h.hub.attach(sink, request({ kind: 'cursor', positions: ahead }, { channels: ['execution:a'] }));
  opened.catch(() => undefined);
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  await expect(opened).rejects.toMatchObject({ code: 'bus_unavailable' });
  expect(h.gate.passed).toContain(read === 'head' ? 'head execution:a' : 'history execution:a 0-0');
  expect(sink.detached).toBe(true);
  expect(sink.started).toBe(false);
  await expectNothingHeld(h);
});

test.each(['joining', 'positioning'] as const)('a drain that reaches a stream still %s refuses it with 503 draining, everything released, the connection left to answer', async (stage) => {
  const h = createHarness();
  await h.publish(steps('execution:a', 0, 1));
  // A cursor ahead of the gateway: positioning reads the stream's head again.
  const ahead = new Map([[channelHash('execution:a'), { ms: Date.now() + 60_000, seq: 0 }]]);
  const sink = new FakeSink(h.gate);
  const opened = h.hub.attach(sink, request({ kind: 'cursor', positions: ahead }, { channels: ['execution:a'] }));
  opened.catch(() => undefined);
  while ([...h.hub.streams][0]?.stage !== stage) {
    await settle();
    expect(h.gate.releaseNext()).toBe(true);
  }
  h.hub.drain();
  for (const stream of h.hub.streams) stream.end('drain');
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  await expect(opened).rejects.toMatchObject({ code: 'draining' });
  expect(sink.detached).toBe(true);
  expect(sink.started).toBe(false);
  await expectNothingHeld(h);
});

/** Whether `promise` has settled, read at any time. */
function watch(promise: Promise<void>): { settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

test('a hang-up while waiting for a disconnected bus cancels the wait and its timer, and open() settles', async () => {
  const h = createHarness();
  Object.defineProperty(h.bus, 'connected', { get: () => false });
  const sink = new FakeSink(h.gate);
  const opened = h.hub.attach(sink, request({ kind: 'live' }));
  const open = watch(opened);
  await settle();
  expect(jest.getTimerCount()).toBe(1); // the bus wait
  sink.hangUp();
  await expectNothingHeld(h);
  expect(open.settled).toBe(true);
  await expect(opened).resolves.toBeUndefined(); // a hang-up is no error: nothing to answer
  expect(h.gate.pending).toBe(0);
  jest.advanceTimersByTime(10_000);
  await settle();
  expect(sink.started).toBe(false);
});

test('a hang-up while waiting for the replay budget leaves the queue, takes nothing, and open() settles', async () => {
  const h = createHarness({ replayBudgetBytes: 64 * 1024 });
  await h.publish(steps('execution:a', 0, 5));
  const blocker = h.hub.budget.take(64 * 1024); // every byte held by another replay
  const sink = new FakeSink(h.gate);
  const open = watch(h.hub.attach(sink, request({ kind: 'earliest' }, { channels: ['execution:a'] })));
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  expect(sink.started).toBe(true);
  expect(h.hub.budget.waiting).toBe(1);
  sink.hangUp();
  expect(h.hub.budget.waiting).toBe(0);
  expect(h.hub.reads.inUse).toBe(0);
  expect(h.hub.reads.waiting).toBe(0); // out of the queue at once: it holds up nobody behind it
  await settle();
  expect(open.settled).toBe(true);
  blocker.release();
  await expectNothingHeld(h);
});

test('a replaying client that takes nothing for two heartbeat periods is cut as slow; one that reads is not', async () => {
  const h = createHarness({ heartbeatMs: 1000, clientBufferBytes: 64 * 1024 });
  await h.publish(steps('execution:a', 0, 200));
  const stuck = new FakeSink(h.gate, 1000);
  void h.hub.attach(stuck, request({ kind: 'earliest' }, { channels: ['execution:a'] }));
  // Let the handshake through, then never drain.
  for (let i = 0; i < 10; i++) {
    await settle();
    const next = h.gate.passed.length;
    if (!h.gate.releaseNext()) break;
    if (h.gate.passed[next] === 'drain') break;
  }
  expect(stuck.started).toBe(true);
  jest.advanceTimersByTime(1999);
  expect(stuck.closed).toBe(false);
  jest.advanceTimersByTime(1);
  expect(stuck.closeReason).toBe('slow');
  expect((await h.metrics.slowClientDisconnects.get()).values[0]?.value).toBe(1);
  while (h.gate.releaseNext()) await settle();
  await expectNothingHeld(h);
});

test('a stream whose token has no exp has no deadline; one with exp gets gateway.token_expired at it', async () => {
  const h = createHarness();
  const forever = new FakeSink(h.gate);
  const expiring = new FakeSink(h.gate);
  void h.hub.attach(forever, request({ kind: 'live' }, { channels: ['execution:a'] }));
  void h.hub.attach(expiring, request({ kind: 'live' }, { channels: ['execution:a'], subject: 'bob', expiresAt: Date.now() + 5000 }));
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  expect(h.hub.expiries.size).toBe(1);
  jest.advanceTimersByTime(5000);
  expect(expiring.closeReason).toBe('token_expired');
  expect(expiring.events().map((e) => e.type)).toEqual(['gateway.token_expired']);
  jest.advanceTimersByTime(365 * 86_400_000);
  expect(forever.closed).toBe(false);
  forever.hangUp();
  await expectNothingHeld(h);
});

test('a cursor beyond every channel\'s history starts live after a gap per channel, in one 200 stream', async () => {
  const h = createHarness();
  const ahead = { ms: Date.now() + 60_000, seq: 3 };
  const cursor = new Map(CHANNELS.map((name) => [channelHash(name), ahead]));
  const sink = new FakeSink(h.gate);
  void h.hub.attach(sink, request({ kind: 'cursor', positions: cursor }));
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  const gaps = sink.events().filter((e) => e.type === 'gateway.gap');
  expect(gaps.map((e) => e.data)).toEqual(CHANNELS.map((channel) => ({ channel, lastEventId: `${ahead.ms}-3`, earliestId: null })));
  const [id] = await h.publish(steps('execution:b', 0, 1));
  await settle();
  expect(sink.events().at(-1)?.id).toBe(id);
  expect(encodeCursor).toBeDefined();
  sink.hangUp();
  await expectNothingHeld(h);
});

test('state=1: a retained event still on its way from the bus comes once, after the events before it', async () => {
  const h = createHarness();
  const status = { channel: 'execution:a', type: 'execution.status', data: { executionId: 'x', status: 'running' }, retain: true };
  const [old] = await h.publish([status]);
  const sink = new FakeSink(h.gate);
  void h.hub.attach(sink, request({ kind: 'live' }, { channels: ['execution:a'], state: true }));
  await settle();
  expect(h.gate.release('subscribe')).toBe(true);
  await settle();
  expect(h.gate.release('head')).toBe(true); // the channel's head: `old`
  h.bus.holdLive = true; // what comes next is stored, retained and announced, but not yet arrived
  const [plain, retained] = await h.publish([
    { channel: 'execution:a', type: 'execution.log', data: { executionId: 'x', level: 'info', message: 'plain' } },
    { ...steps('execution:a', 2, 1)[0]!, retain: true },
  ]);
  await settle();
  expect(h.gate.waitingLabels).toEqual(['live execution:a', 'live execution:a', 'state execution:a', 'head execution:a']);
  expect(h.gate.release('state') && h.gate.release('head')).toBe(true); // both read after the publish
  await settle();
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  expect(sink.events().map((e) => e.id)).toEqual([old, plain, retained]);
  sink.hangUp();
  await expectNothingHeld(h);
});
