// Events often arrive in bursts (one Redis read can carry many messages). A connection's socket is
// corked on its first write of a tick and all of them are uncorked once, after the current I/O
// callbacks: N small writes per socket become one writev. Unsent bytes are judged after the
// uncork, when the kernel has taken what it can, so a burst is not mistaken for a slow client.

/** What the batcher needs of a connection. */
export interface Corkable {
  cork(): void;
  /** Uncorks and checks what is left unsent. */
  flush(): void;
}

export class WriteBatcher {
  private held: Corkable[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** Corks `target` until the end of this turn of the event loop. Call once per turn (see Connection). */
  hold(target: Corkable): void {
    target.cork();
    this.held.push(target);
    this.scheduled ??= setImmediate(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = undefined;
    const held = this.held;
    this.held = [];
    for (const target of held) target.flush();
  };

  close(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.flush();
  }
}
