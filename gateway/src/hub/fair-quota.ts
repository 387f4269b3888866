// A quantity shared gateway-wide and handed out first come, first served: replays wait their turn
// instead of all going at once. Two are used by the hub:
// - the replay budget (REPLAY_BUDGET_BYTES): a replay takes a grant of one page's bytes before it
//   reads the page and gives it back once the page has been handed to its client's socket; 100
//   clients resuming a 15 MB history each would otherwise hold 1.5 GB at once. A channel catching
//   up after a bus blip takes its page without waiting (it holds live delivery for every client of
//   the channel, so it must not queue behind slow replays).
// - history reads in flight: 100 replays reading at once pipeline 25 MB of replies on the Redis
//   connection, and every other command (publishes, new streams' heads) waits behind them.

export interface Grant {
  /** The amount held. */
  readonly amount: number;
  /** Holds `extra` more at once (a page larger than asked for); may overdraw the quota. */
  grow(extra: number): void;
  /** Gives it back; later calls do nothing. */
  release(): void;
}

/** A place in the queue: `granted` resolves with the grant, or undefined once cancelled first. */
export interface PendingGrant {
  readonly granted: Promise<Grant | undefined>;
  /** Leaves the queue (the stream closed while waiting). A grant already given must be released. */
  cancel(): void;
}

interface Waiter {
  readonly amount: number;
  readonly resolve: (grant: Grant | undefined) => void;
}

export class FairQuota {
  private available: number;
  private readonly queue: Waiter[] = [];

  constructor(readonly total: number) {
    if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`total must be a positive integer, got ${total}`);
    this.available = total;
  }

  /** Held by grants now (more than the total while `take` overdraws it). */
  get inUse(): number {
    return this.total - this.available;
  }

  /** Requests waiting for a grant. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Waits for `amount` (at most the total) behind earlier requests. */
  acquire(amount: number): PendingGrant {
    const wanted = Math.min(amount, this.total);
    if (this.queue.length === 0 && this.available >= wanted) {
      return { granted: Promise.resolve(this.take(wanted)), cancel: () => undefined };
    }
    let waiter: Waiter | undefined;
    const granted = new Promise<Grant | undefined>((resolve) => {
      waiter = { amount: wanted, resolve };
      this.queue.push(waiter);
    });
    return {
      granted,
      cancel: () => {
        const index = this.queue.indexOf(waiter as Waiter);
        if (index < 0) return; // granted already: the grant is the caller's to release
        this.queue.splice(index, 1);
        waiter?.resolve(undefined);
        this.serve(); // the head of the queue may have been the one waiting
      },
    };
  }

  /** Takes `amount` now, whatever is left (it may overdraw the quota). */
  take(amount: number): Grant {
    this.available -= amount;
    let held = amount;
    let released = false;
    return {
      get amount() {
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
    for (let next = this.queue[0]; next !== undefined && this.available >= next.amount; next = this.queue[0]) {
      this.queue.shift();
      next.resolve(this.take(next.amount));
    }
  }
}
