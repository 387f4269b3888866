import type { Socket } from 'node:net';

// Events often arrive in bursts (one Redis read can carry many messages). Corking a socket on its
// first write of a tick and uncorking all of them once, after the current I/O callbacks, turns N
// small writes per socket into one writev per socket per tick.
export class WriteBatcher {
  private corked: Socket[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** Corks `socket` until the end of this turn of the event loop (once per turn). */
  hold(socket: Socket): void {
    if (socket.writableCorked > 0) return;
    socket.cork();
    this.corked.push(socket);
    this.scheduled ??= setImmediate(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = undefined;
    const sockets = this.corked;
    this.corked = [];
    for (const socket of sockets) socket.uncork();
  };

  close(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.flush();
  }
}
