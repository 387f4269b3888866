// Which live pub/sub channels this gateway wants, and keeping Redis in step with that over one
// subscriber link. Each channel's (un)subscribe commands run one at a time and each applies the
// state wanted when it runs, so racing subscribe/unsubscribe calls end in the last one asked for.
// After a connection loss every wanted channel is subscribed again before `inSync` turns true.
import type { LiveHandler } from './bus';
import type { PubSubLink } from './pubsub-link';

/** How long to wait before trying again when resubscribing failed. */
const RESYNC_RETRY_MS = 1000;

interface Wanted {
  readonly handler: LiveHandler;
  /** Tells a failed subscribe whether a later call replaced it. */
  readonly request: number;
}

export class LiveSubscriptions {
  private readonly wanted = new Map<string, Wanted>();
  /** Confirmed by Redis on the current connection(s). */
  private readonly active = new Set<string>();
  /** May exist server-side (confirmed, or sent without an answer): unsubscribed when no longer wanted. */
  private readonly touched = new Set<string>();
  private readonly queues = new Map<string, Promise<void>>();
  private requests = 0;
  private synced = false;
  /** Bumped on every loss, so a resync that started before it cannot report success. */
  private epoch = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly link: PubSubLink,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    link.onMessage((channel, message) => this.route(channel, message));
    link.onLost(() => this.lost());
    link.onUp(() => this.resync());
  }

  /** The link is ready and every wanted channel is subscribed on it. */
  get inSync(): boolean {
    return this.synced && this.link.ready;
  }

  /** Resolves once Redis confirmed it; on failure the channel is no longer wanted. */
  async subscribe(channel: string, handler: LiveHandler): Promise<void> {
    const request = ++this.requests;
    this.wanted.set(channel, { handler, request });
    try {
      await this.enqueue(channel);
    } catch (error) {
      if (this.wanted.get(channel)?.request === request) {
        this.wanted.delete(channel);
        this.enqueue(channel).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * Stops delivery at once and drops the server-side subscription. Never rejects: if Redis cannot
   * be told now, the next resync does it.
   */
  async unsubscribe(channel: string): Promise<void> {
    this.wanted.delete(channel);
    await this.enqueue(channel).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.wanted.clear();
  }

  private route(channel: Buffer, message: Buffer): void {
    // Channel names are ASCII (prefix and channel patterns), so latin1 is exact and cheapest.
    const wanted = this.wanted.get(channel.toString('latin1'));
    if (wanted === undefined) return;
    try {
      wanted.handler(message);
    } catch (error) {
      this.onError(error as Error);
    }
  }

  /** Runs `reconcile(channel)` after the channel's previous command, whatever its outcome. */
  private enqueue(channel: string): Promise<void> {
    const previous = this.queues.get(channel);
    const run = (): Promise<void> => this.reconcile(channel);
    const next = previous === undefined ? run() : previous.then(run, run);
    this.queues.set(channel, next);
    const forget = (): void => {
      if (this.queues.get(channel) === next) this.queues.delete(channel);
    };
    next.then(forget, forget);
    return next;
  }

  private async reconcile(channel: string): Promise<void> {
    if (this.closed) return;
    if (this.wanted.has(channel)) {
      if (this.active.has(channel)) return;
      this.touched.add(channel);
      await this.link.subscribe(channel);
      this.active.add(channel);
    } else if (this.touched.has(channel)) {
      await this.link.unsubscribe(channel);
      this.active.delete(channel);
      this.touched.delete(channel);
    }
  }

  private lost(): void {
    this.epoch += 1;
    this.active.clear();
    if (this.synced) {
      this.synced = false;
      this.onChange();
    }
    // On a Cluster the link may stay ready while one shard's subscriber is replaced: try again.
    this.scheduleResync();
  }

  private resync(): void {
    if (this.closed || !this.link.ready) return;
    const epoch = this.epoch;
    const channels = new Set([...this.wanted.keys(), ...this.touched]);
    Promise.all([...channels].map((channel) => this.enqueue(channel))).then(
      () => {
        if (this.closed || epoch !== this.epoch || this.synced) return;
        this.synced = true;
        this.onChange();
      },
      (error: Error) => {
        this.onError(new Error(`resubscribing failed, retrying: ${error.message}`));
        if (epoch === this.epoch) this.scheduleResync();
      },
    );
  }

  private scheduleResync(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.resync();
    }, RESYNC_RETRY_MS);
  }
}
