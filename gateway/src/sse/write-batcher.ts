// Events often arrive in bursts (one Redis read can carry many messages). A connection's socket is
// corked on its first write and all corked sockets are uncorked together in one flush: N writes
// per socket become one writev. Unsent bytes are judged after the uncork, when the kernel has
// taken what it can, so a burst is not mistaken for a slow client.
//
// Broadcast cost is one send syscall per socket per flush (profiles: ~80% of the gateway's CPU at
// 1,000+ subscribers), whatever the number of events in it. So after a flush that took D ms the
// next one waits at least D ms: idle, flushes follow at once; loaded, each flush carries more
// events and flushing takes at most about half the process's time.

/** What the batcher needs of a connection. */
export interface Corkable {
  cork(): void;
  /** Uncorks and checks what is left unsent. */
  flush(): void;
}

export class WriteBatcher {
  private held: Corkable[] = [];
  private scheduled: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout } | undefined;
  /** performance.now() before which no flush starts. */
  private quietUntil = 0;

  /** Corks `target` until the next flush. Call once per flush (see Connection). */
  hold(target: Corkable): void {
    target.cork();
    this.held.push(target);
    if (this.scheduled !== undefined) return;
    const wait = this.quietUntil - performance.now();
    this.scheduled = wait > 1 ? { kind: 'timeout', handle: setTimeout(this.flush, wait) } : { kind: 'immediate', handle: setImmediate(this.flush) };
  }

  readonly flush = (): void => {
    this.scheduled = undefined;
    const started = performance.now();
    const held = this.held;
    this.held = [];
    for (const target of held) target.flush();
    const finished = performance.now();
    this.quietUntil = finished + (finished - started);
  };

  close(): void {
    // Each handle to its own clear function: clearImmediate on a Timeout corrupts Node's queues.
    if (this.scheduled?.kind === 'timeout') clearTimeout(this.scheduled.handle);
    else if (this.scheduled?.kind === 'immediate') clearImmediate(this.scheduled.handle);
    this.flush();
  }
}
