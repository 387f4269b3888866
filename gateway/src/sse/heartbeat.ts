// One timer for every connection's heartbeat instead of one per connection. Streams are spread
// over phases (slots, given round robin); each tick looks only at one slot's streams and writes
// the shared `: hb` frame to those that got nothing for a whole period. Each write stamps the
// stream with the current tick, so a busy stream gets none.
//
// Streams opened in one burst (every client of a restarted gateway) would otherwise fall due on
// the same tick forever after, and 10,000 sockets written in one event-loop turn stall every other
// stream for ~100 ms once per period. A set per slot keeps a tick's work to its own slot.
import { HEARTBEAT_FRAME, type Frame } from './frame';

const CHECKS_PER_PERIOD = 4;
const MAX_SLOTS = 16;
/** Shortest tick: below it, more slots cost timer wake-ups and spread nothing that matters. */
const MIN_TICK_MS = 20;

/** What the heartbeat needs of a stream. */
export interface Beating {
  /** The tick of the last write. */
  readonly lastWriteTick: number;
  /** The slot it was given (-1 when not watched); set by the heartbeat. */
  heartbeatSlot: number;
  write(frame: Frame): boolean;
}

/** What a stream needs of the heartbeat: the tick to stamp writes with, and to be watched or not. */
export interface HeartbeatClock {
  readonly tick: number;
  add(stream: Beating): void;
  remove(stream: Beating): void;
}

export class Heartbeat implements HeartbeatClock {
  tick = 0;
  private readonly slots: Set<Beating>[];
  private readonly ticksPerPeriod: number;
  private nextSlot = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(periodMs: number) {
    const checkMs = periodMs / CHECKS_PER_PERIOD;
    const slots = Math.max(1, Math.min(MAX_SLOTS, Math.floor(checkMs / MIN_TICK_MS)));
    this.slots = Array.from({ length: slots }, () => new Set<Beating>());
    this.ticksPerPeriod = CHECKS_PER_PERIOD * slots;
    this.timer = setInterval(this.beat, Math.max(1, Math.floor(checkMs / slots)));
    this.timer.unref();
  }

  /** Phases the streams are spread over. */
  get slotCount(): number {
    return this.slots.length;
  }

  /** Streams watched now. */
  get size(): number {
    let size = 0;
    for (const slot of this.slots) size += slot.size;
    return size;
  }

  add(stream: Beating): void {
    if (stream.heartbeatSlot >= 0) return;
    stream.heartbeatSlot = this.nextSlot;
    this.nextSlot = (this.nextSlot + 1) % this.slots.length;
    this.slots[stream.heartbeatSlot]?.add(stream);
  }

  remove(stream: Beating): void {
    this.slots[stream.heartbeatSlot]?.delete(stream);
    stream.heartbeatSlot = -1;
  }

  private readonly beat = (): void => {
    this.tick++;
    const slot = this.slots[this.tick % this.slots.length] as Set<Beating>;
    const idleSince = this.tick - this.ticksPerPeriod;
    for (const stream of slot) if (stream.lastWriteTick <= idleSince) stream.write(HEARTBEAT_FRAME);
  };

  close(): void {
    clearInterval(this.timer);
  }
}
