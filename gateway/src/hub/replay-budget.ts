// The gateway-wide bound on history held in memory for replays (REPLAY_BUDGET_BYTES). A replay
// takes a grant of one page's bytes before it reads the page and gives it back once the page has
// been handed to its client's socket. Replays beyond the budget wait their turn, first come first
// served, instead of loading at once: 100 clients resuming a 15 MB history each would otherwise
// hold 1.5 GB. A channel catching up after a bus blip takes its page without waiting (it holds
// live delivery for every client of the channel, so it must not queue behind slow replays).

export interface Grant {
  /** Bytes held. */
  readonly bytes: number;
  /** Holds `extra` more bytes at once (a page larger than asked for); may overdraw the budget. */
  grow(extra: number): void;
  /** Gives the bytes back; later calls do nothing. */
  release(): void;
}

/** A place in the queue: `granted` settles when the grant is given, or never after `cancel()`. */
export interface PendingGrant {
  readonly granted: Promise<Grant>;
  /** Leaves the queue (the stream closed while waiting). A grant already given must be released. */
  cancel(): void;
}

interface Waiter {
  readonly bytes: number;
  readonly resolve: (grant: Grant) => void;
}

export class ReplayBudget {
  private available: number;
  private readonly queue: Waiter[] = [];

  constructor(readonly totalBytes: number) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 1) throw new RangeError(`totalBytes must be a positive integer, got ${totalBytes}`);
    this.available = totalBytes;
  }

  /** Bytes held by grants now (more than the total while catch-ups overdraw it). */
  get inUse(): number {
    return this.totalBytes - this.available;
  }

  /** Replays waiting for a grant. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Waits for `bytes` (at most the whole budget) behind earlier requests. */
  acquire(bytes: number): PendingGrant {
    const wanted = Math.min(bytes, this.totalBytes);
    if (this.queue.length === 0 && this.available >= wanted) {
      return { granted: Promise.resolve(this.take(wanted)), cancel: () => undefined };
    }
    let waiter: Waiter | undefined;
    const granted = new Promise<Grant>((resolve) => {
      waiter = { bytes: wanted, resolve };
      this.queue.push(waiter);
    });
    return {
      granted,
      cancel: () => {
        const index = this.queue.indexOf(waiter as Waiter);
        if (index >= 0) this.queue.splice(index, 1);
        this.serve(); // the head of the queue may have been the one waiting
      },
    };
  }

  /** Takes `bytes` now, whatever is left (it may overdraw the budget). */
  take(bytes: number): Grant {
    this.available -= bytes;
    let held = bytes;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      grow: (extra) => {
        if (released) return;
        held += extra;
        this.available -= extra;
      },
      release: () => {
        if (released) return;
        released = true;
        this.available += held;
        this.serve();
      },
    };
  }

  private serve(): void {
    for (let next = this.queue[0]; next !== undefined && this.available >= next.bytes; next = this.queue[0]) {
      this.queue.shift();
      next.resolve(this.take(next.bytes));
    }
  }
}
