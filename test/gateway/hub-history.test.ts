// History read by the hub, one await at a time (the gated hub of hub-harness.ts): a stream's
// replay and its going live, and a channel's catch-up after a lost live message. Whatever arrives
// live meanwhile reaches the client once, in order, with nothing lost, and history is read no more
// than needed.
import type { Resume, StreamRequest } from '../../gateway/src/hub/subscription';
import { createHarness, FakeSink, settle } from './support/hub-harness';

const CHANNEL = 'execution:r';

function request(resume: Resume): StreamRequest {
  return { subject: 'alice', channels: [CHANNEL], resume, state: false, expiresAt: undefined, headers: {} };
}

const steps = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ channel: CHANNEL, type: 'execution.progress', data: { executionId: 'x', step: from + i } }));

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
afterEach(() => jest.useRealTimers());

test('live events that overflow what a stream holds while its socket takes the replay are read from history: every event once, in order', async () => {
  // A 8 KB client buffer: the stream holds at most 4 KB of live events, and writes the replay on
  // while its backlog is under 2 KB. The socket congests past 500 bytes, so the few replayed
  // events are written at once and the stream then waits for the socket before going live.
  const h = createHarness({ clientBufferBytes: 8192 }, 1000);
  const replayed = await h.publish(steps(0, 5));
  const sink = new FakeSink(h.gate, 500);
  void h.hub.attach(sink, request({ kind: 'earliest' }));
  for (;;) {
    await settle();
    if (h.gate.waitingLabels.includes('drain')) break;
    expect(h.gate.releaseNext()).toBe(true);
  }
  expect(sink.events().map((e) => e.id)).toEqual(replayed);

  // Far more than 4 KB arrives live while the stream waits for its socket.
  const live = await h.publish(steps(5, 60));
  await settle();
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  const after = await h.publish(steps(65, 1));
  await settle();

  expect(sink.events().map((e) => e.id)).toEqual([...replayed, ...live, ...after]);
  expect(sink.closed).toBe(false);
  sink.hangUp();
});

test('a catch-up stops at the first page shorter than asked for: history was read to its end', async () => {
  const h = createHarness();
  const sink = new FakeSink(h.gate);
  void h.hub.attach(sink, request({ kind: 'live' }));
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  const before = await h.publish(steps(0, 1));
  h.bus.dropLive = 1; // lost on its way from Redis
  const lost = await h.publish(steps(1, 1));
  const next = await h.publish(steps(2, 1)); // its `prev` is the lost one: the channel catches up
  const reads = h.gate.passed.length;
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  expect(sink.events().map((e) => e.id)).toEqual([...before, ...lost, ...next]);
  expect(h.gate.passed.slice(reads)).toEqual([`history ${CHANNEL} ${before[0]}`]);
  sink.hangUp();
});

test('live messages that overflow what a starting channel holds are read from history, none dropped as unconfirmed', async () => {
  const h = createHarness();
  const sink = new FakeSink(h.gate);
  void h.hub.attach(sink, request({ kind: 'live' }));
  await settle();
  // Held before the subscription is confirmed: in the head the channel reads next.
  await h.publish(steps(0, 2));
  expect(h.gate.release('subscribe')).toBe(true);
  await settle();
  expect(h.gate.waitingLabels).toEqual([`head ${CHANNEL}`]);
  // While the head is read: more than the channel holds (1 MB), then two small events.
  const log = (i: number) => ({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'x', level: 'info', message: `${i}`.padEnd(16000, '.') } });
  const large = await h.publish(Array.from({ length: 70 }, (_, i) => log(i)));
  const small = await h.publish(steps(2, 2));
  while (h.gate.releaseNext() || (await settle(), h.gate.releaseNext()));
  expect((await h.metrics.eventsDropped.get()).values).toEqual([]);
  expect(sink.events().map((e) => e.id)).toEqual([...large, ...small]);
  sink.hangUp();
});
