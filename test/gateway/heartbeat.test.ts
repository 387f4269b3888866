// The shared heartbeat: idle connections get `: hb` once per period, busy ones never, and a burst
// of connections opened together is spread over the period instead of written in one tick.
import { HEARTBEAT_FRAME, type Frame } from '../../gateway/src/sse/frame';
import { Heartbeat, type Beating } from '../../gateway/src/sse/heartbeat';

class FakeConnection implements Beating {
  lastWriteTick: number;
  heartbeatSlot = -1;
  /** The ticks at which it got a heartbeat. */
  readonly beats: number[] = [];

  constructor(private readonly heartbeat: Heartbeat) {
    this.lastWriteTick = heartbeat.tick;
    heartbeat.add(this);
  }

  write(frame: Frame): boolean {
    this.lastWriteTick = this.heartbeat.tick;
    if (frame === HEARTBEAT_FRAME) this.beats.push(this.heartbeat.tick);
    return true;
  }
}

let heartbeat: Heartbeat | undefined;
beforeEach(() => jest.useFakeTimers());
afterEach(() => {
  heartbeat?.close();
  jest.useRealTimers();
});

function setUp(periodMs: number, count: number): { heartbeat: Heartbeat; connections: FakeConnection[] } {
  const connections: FakeConnection[] = [];
  heartbeat = new Heartbeat(periodMs);
  for (let i = 0; i < count; i++) connections.push(new FakeConnection(heartbeat));
  return { heartbeat, connections };
}

/** Heartbeats written per tick over `ticks` ticks of `tickMs`. */
function run(h: Heartbeat, connections: FakeConnection[], ticks: number, tickMs: number): number[] {
  const perTick: number[] = [];
  for (let i = 0; i < ticks; i++) {
    const before = connections.reduce((sum, c) => sum + c.beats.length, 0);
    jest.advanceTimersByTime(tickMs);
    perTick.push(connections.reduce((sum, c) => sum + c.beats.length, 0) - before);
  }
  expect(h.tick).toBe(ticks);
  return perTick;
}

test('a burst of connections opened together gets its heartbeats spread over 16 ticks, once per period each', () => {
  // 1,600 ms: looked at every 400 ms, in 16 slots → a tick every 25 ms, 64 ticks per period.
  const { heartbeat: h, connections } = setUp(1600, 320);
  expect(h.slotCount).toBe(16);
  const perTick = run(h, connections, 3 * 64 - 1, 25);
  expect(Math.max(...perTick)).toBe(20); // 320 / 16, never all 320 at once
  expect(perTick.slice(63, 79)).toEqual(new Array(16).fill(20)); // ticks 64…79 (perTick[i] is tick i + 1)
  for (const connection of connections) {
    // Due after a whole period idle, on its own slot's tick, then every period.
    const slot = connection.heartbeatSlot;
    expect(connection.beats).toEqual([64 + slot, 128 + slot]);
  }
  expect(new Set(connections.map((c) => c.heartbeatSlot)).size).toBe(16);
});

test('a connection written to within the period gets no heartbeat', () => {
  const { heartbeat: h, connections } = setUp(1600, 2);
  const [busy, idle] = connections as [FakeConnection, FakeConnection];
  for (let i = 0; i < 3 * 64; i++) {
    jest.advanceTimersByTime(25);
    if (i % 40 === 0) busy.write({ chunked: Buffer.alloc(0), raw: Buffer.alloc(0) }); // an event now and then
  }
  expect(h.tick).toBe(3 * 64);
  expect(busy.beats).toEqual([]);
  expect(idle.beats.length).toBeGreaterThanOrEqual(2);
});

test('a short period keeps one slot, looked at four times per period', () => {
  const { heartbeat: h, connections } = setUp(40, 10);
  expect(h.slotCount).toBe(1);
  const perTick = run(h, connections, 12, 10);
  expect(perTick).toEqual([0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10]);
});

test('a removed connection gets no more heartbeats, and the heartbeat holds nothing of it', () => {
  const { heartbeat: h, connections } = setUp(1600, 32);
  const [gone, kept] = connections as [FakeConnection, FakeConnection];
  expect(h.size).toBe(32);
  h.remove(gone);
  expect(gone.heartbeatSlot).toBe(-1);
  expect(h.size).toBe(31);
  run(h, connections, 2 * 64, 25);
  expect(gone.beats).toEqual([]);
  expect(kept.beats.length).toBe(1);
  h.remove(gone); // twice is harmless
  expect(h.size).toBe(31);
});
