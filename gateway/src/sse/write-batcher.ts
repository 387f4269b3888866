// Events often arrive in bursts (one Redis read can carry many messages). A connection's socket is
// corked on its first write and the corked sockets are uncorked together in one flush: N writes
// per socket become one writev. Unsent bytes are judged after the uncork, when the kernel has
// taken what it can, so a burst is not mistaken for a slow client.
//
// Broadcast cost is one send syscall per socket per flush (profiles: ~80% of the gateway's CPU at
// 1,000+ subscribers, most of it in the kernel), whatever the number of events in it. So after a
// flush that kept the process busy D ms the next one waits at least D ms: idle, flushes follow at
// once; loaded, each flush carries more events and flushing takes at most about half the time.
//
// A flush yields to the event loop every SLICE_MS (10,000 sockets take ~100 ms): reads from Redis,
// new connections and other channels' events go on in between. Sockets it has not reached yet
// stay corked and take what is written meanwhile along; the others wait for the next flush.

/** What the batcher needs of a connection. */
export interface Corkable {
  cork(): void;
  /** Uncorks and checks what is left unsent. */
  flush(): void;
}

/** Longest run of uncorks before the flush lets other callbacks run. */
export const SLICE_MS = 10;
/** Sockets uncorked between two looks at the clock. */
const CLOCK_EVERY = 64;

export class WriteBatcher {
  /** Corked for the next flush. */
  private held: Corkable[] = [];
  /** The flush under way (sliced); `next` is the first target it has not reached. */
  private flushing: Corkable[] = [];
  private next = 0;
  private scheduled: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout } | undefined;
  /** Time spent in the earlier slices of the flush under way. */
  private busyMs = 0;
  /** performance.now() before which no flush starts. */
  private quietUntil = 0;

  /** Corks `target` until the next flush. Call once per flush (see Connection). */
  hold(target: Corkable): void {
    target.cork();
    this.held.push(target);
    if (this.scheduled === undefined) this.schedule();
  }

  readonly flush = (): void => {
    this.scheduled = undefined;
    if (this.next >= this.flushing.length) {
      // A new flush takes what is held now; what is held while it runs waits for the next one.
      this.flushing = this.held;
      this.held = [];
      this.next = 0;
    }
    const started = performance.now();
    const targets = this.flushing;
    while (this.next < targets.length) {
      (targets[this.next++] as Corkable).flush();
      if (this.next % CLOCK_EVERY === 0 && this.next < targets.length) {
        const now = performance.now();
        if (now - started >= SLICE_MS) {
          this.busyMs += now - started;
          this.scheduled = { kind: 'immediate', handle: setImmediate(this.flush) };
          return;
        }
      }
    }
    const finished = performance.now();
    this.quietUntil = finished + this.busyMs + (finished - started);
    this.busyMs = 0;
    this.flushing = [];
    this.next = 0;
    if (this.held.length > 0) this.schedule();
  };

  /** Flushes everything now, in one go (the gateway is shutting down). */
  close(): void {
    // Each handle to its own clear function: clearImmediate on a Timeout corrupts Node's queues.
    if (this.scheduled?.kind === 'timeout') clearTimeout(this.scheduled.handle);
    else if (this.scheduled?.kind === 'immediate') clearImmediate(this.scheduled.handle);
    this.scheduled = undefined;
    for (const targets of [this.flushing.slice(this.next), this.held]) for (const target of targets) target.flush();
    this.flushing = [];
    this.held = [];
    this.next = 0;
    this.busyMs = 0;
  }

  private schedule(): void {
    const wait = this.quietUntil - performance.now();
    this.scheduled = wait > 1 ? { kind: 'timeout', handle: setTimeout(this.flush, wait) } : { kind: 'immediate', handle: setImmediate(this.flush) };
  }
}
