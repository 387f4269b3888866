// One timer for every connection's heartbeat instead of one per connection: it ticks four times
// per HEARTBEAT_MS and writes the shared `: hb` frame to connections idle for a whole period.
// Each write stamps the connection with the current tick, so a busy stream gets no heartbeat.
import type { Connection } from './connection';
import { HEARTBEAT_FRAME } from './frame';

const TICKS_PER_PERIOD = 4;

export class Heartbeat {
  tick = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    periodMs: number,
    private readonly connections: () => Iterable<Connection>,
  ) {
    this.timer = setInterval(this.beat, Math.max(1, Math.floor(periodMs / TICKS_PER_PERIOD)));
    this.timer.unref();
  }

  private readonly beat = (): void => {
    this.tick++;
    const idleSince = this.tick - TICKS_PER_PERIOD;
    for (const connection of this.connections()) {
      if (connection.lastWriteTick <= idleSince) {
        connection.write(HEARTBEAT_FRAME);
      }
    }
  };

  close(): void {
    clearInterval(this.timer);
  }
}
