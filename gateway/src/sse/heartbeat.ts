// One timer for every connection's heartbeat instead of one per connection. A connection is looked
// at four times per HEARTBEAT_MS and gets the shared `: hb` frame when nothing was written to it
// for a whole period; each write stamps it with the current tick, so a busy stream gets none.
//
// Connections are spread over phases (slots, given round robin) looked at on different ticks.
// Streams opened in one burst (every client of a restarted gateway) would otherwise fall due on
// the same tick forever after, and 10,000 sockets written in one event-loop turn stall every other
// stream for ~100 ms once per period.
import { HEARTBEAT_FRAME, type Frame } from './frame';

const CHECKS_PER_PERIOD = 4;
const MAX_SLOTS = 16;
/** Shortest tick: below it, more slots cost timer wake-ups and spread nothing that matters. */
const MIN_TICK_MS = 20;

/** What the heartbeat needs of a connection. */
export interface Beating {
  readonly heartbeatSlot: number;
  /** The tick of the last write. */
  readonly lastWriteTick: number;
  write(frame: Frame): void;
}

/** What a connection needs of the heartbeat: the current tick to stamp writes with, and its slot. */
export interface HeartbeatClock {
  readonly tick: number;
  assignSlot(): number;
}

export class Heartbeat implements HeartbeatClock {
  tick = 0;
  readonly slots: number;
  private readonly ticksPerPeriod: number;
  private nextSlot = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    periodMs: number,
    private readonly connections: () => Iterable<Beating>,
  ) {
    const checkMs = periodMs / CHECKS_PER_PERIOD;
    this.slots = Math.max(1, Math.min(MAX_SLOTS, Math.floor(checkMs / MIN_TICK_MS)));
    this.ticksPerPeriod = CHECKS_PER_PERIOD * this.slots;
    this.timer = setInterval(this.beat, Math.max(1, Math.floor(checkMs / this.slots)));
    this.timer.unref();
  }

  assignSlot(): number {
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.slots;
    return slot;
  }

  private readonly beat = (): void => {
    this.tick++;
    const slot = this.tick % this.slots;
    const idleSince = this.tick - this.ticksPerPeriod;
    for (const connection of this.connections()) {
      if (connection.heartbeatSlot === slot && connection.lastWriteTick <= idleSince) connection.write(HEARTBEAT_FRAME);
    }
  };

  close(): void {
    clearInterval(this.timer);
  }
}
