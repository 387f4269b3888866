// The storm's bookkeeping, free of sockets and timers so it can be tested alone: for each client,
// its resume cursor, its `retry:`, the sequence of its events across reconnects (lost, duplicated,
// out of order), and within a measurement window whether it was moved to another gateway, when it
// tried, resumed and caught up; and the reconnect policy (which gateway next, after how long).

/** One SSE block as the storm client reads it (fields it does not use are not kept). */
export interface SseBlock {
  /** The `id:` line (the opening block has one and no data). */
  id?: string;
  retry?: number;
  event?: string;
  /** From a bench event's data. */
  seq?: number;
  sentAt?: number;
}

/**
 * How a client waits before reconnecting.
 * - `eventsource`: a browser's EventSource — exactly the stream's `retry:` (Chromium and Firefox add
 *   no jitter of their own), the same after a failed attempt.
 * - `client`: `@sse-gateway/client` — full jitter, uniform in [0, retry · 2^failures) capped at 30 s.
 */
export type ReconnectPolicy = 'eventsource' | 'client';

/** The client library's longest backoff (client/src/retry.ts MAX_BACKOFF_MS). */
const MAX_BACKOFF_MS = 30_000;

/** Before a stream said `retry:`: the gateway's documented default (RETRY_MS). */
const DEFAULT_RETRY_MS = 2000;

/** Milliseconds to wait before the next attempt; `random` in [0, 1). */
export function reconnectDelay(policy: ReconnectPolicy, retryMs: number, failures: number, random: number): number {
  if (policy === 'eventsource') return retryMs;
  return random * Math.min(MAX_BACKOFF_MS, retryMs * 2 ** failures);
}

/**
 * The next gateway in a round-robin rotation over the others than the one the client just left
 * (dead or draining): a load balancer's round robin once it has marked that upstream down, so the
 * clients of a gateway spread evenly over the rest.
 */
export function nextGateway(rotation: number, gateways: number, leaving: number): number {
  if (gateways < 2) return 0;
  const pick = rotation % (gateways - 1);
  return pick >= leaving ? pick + 1 : pick;
}

/** Counts of one window, summed over clients (and over processes by the orchestrator). */
export interface WindowCounts {
  /** Clients whose stream closed in the window and that opened another. */
  moved: number;
  /** Moved clients whose new stream is open. */
  resumed: number;
  /** Resumed clients that received every event up to what the others had when they resumed. */
  caughtUp: number;
  /** Events missing from a client's sequence (a jump forward). */
  lost: number;
  /** Events received again or out of order. */
  duplicated: number;
  /** `gateway.gap` notices (none expected: history covers the downtime). */
  gapNotices: number;
  /** Non-200 answers to a reconnect (e.g. 503 while draining) and failed connects. */
  refused: number;
  /** The same by reason: "HTTP 503", "ECONNREFUSED", "timeout", "closed" (before the headers)… */
  refusals: Record<string, number>;
  /** Epoch ms of the window's first reconnect attempt, last resume and last catch-up (0: none). */
  firstAttemptAt: number;
  lastResumedAt: number;
  lastCaughtUpAt: number;
}

export function emptyCounts(): WindowCounts {
  return { moved: 0, resumed: 0, caughtUp: 0, lost: 0, duplicated: 0, gapNotices: 0, refused: 0, refusals: {}, firstAttemptAt: 0, lastResumedAt: 0, lastCaughtUpAt: 0 };
}

/** Sums the counts of several processes (times: the earliest first attempt, the latest others). */
export function mergeCounts(all: WindowCounts[]): WindowCounts {
  const out = emptyCounts();
  for (const c of all) {
    out.moved += c.moved;
    out.resumed += c.resumed;
    out.caughtUp += c.caughtUp;
    out.lost += c.lost;
    out.duplicated += c.duplicated;
    out.gapNotices += c.gapNotices;
    out.refused += c.refused;
    for (const [reason, n] of Object.entries(c.refusals)) out.refusals[reason] = (out.refusals[reason] ?? 0) + n;
    if (c.firstAttemptAt > 0 && (out.firstAttemptAt === 0 || c.firstAttemptAt < out.firstAttemptAt)) out.firstAttemptAt = c.firstAttemptAt;
    out.lastResumedAt = Math.max(out.lastResumedAt, c.lastResumedAt);
    out.lastCaughtUpAt = Math.max(out.lastCaughtUpAt, c.lastCaughtUpAt);
  }
  return out;
}

/** One client across its reconnects. */
export class ClientBook {
  cursor: string | undefined;
  retryMs = DEFAULT_RETRY_MS;
  lastSeq = 0;
  /** Failed attempts since the last open stream (the client policy's backoff grows with them). */
  failures = 0;
  /** Moved in the current window: its latencies count as the moved clients'. */
  moved = false;
  private phase: 'steady' | 'reconnecting' | 'catching-up' = 'steady';
  /** The highest sequence number the other clients had when this one resumed. */
  private resumeTarget = 0;
  private countedResume = false;
  private countedCatchUp = false;

  /** `window.counts` is replaced by the owner at each new window. */
  constructor(private readonly window: { counts: WindowCounts }) {}

  /** Steady: open and caught up (or never moved). */
  get settled(): boolean {
    return this.phase === 'steady';
  }

  /** A block of the open stream; returns true when it was a bench event (seq and sentAt set). */
  block(block: SseBlock, now: number): boolean {
    if (block.id !== undefined) this.cursor = block.id;
    if (block.retry !== undefined) this.retryMs = block.retry;
    if (block.event === 'gateway.gap') this.window.counts.gapNotices++;
    if (block.seq === undefined) return false;
    const seq = block.seq;
    if (seq > this.lastSeq + 1) this.window.counts.lost += seq - this.lastSeq - 1;
    if (seq <= this.lastSeq) this.window.counts.duplicated++;
    else this.lastSeq = seq;
    this.checkCaughtUp(now);
    return true;
  }

  /** Its stream closed (or ended): it will try again. */
  closed(): void {
    if (!this.moved) this.window.counts.moved++;
    this.moved = true;
    this.phase = 'reconnecting';
  }

  attempt(now: number): void {
    const counts = this.window.counts;
    if (counts.firstAttemptAt === 0 || now < counts.firstAttemptAt) counts.firstAttemptAt = now;
  }

  /** A reconnect failed (refused, non-200): the client policy backs off further. */
  refused(reason: string): void {
    const counts = this.window.counts;
    counts.refused++;
    counts.refusals[reason] = (counts.refusals[reason] ?? 0) + 1;
    this.failures++;
  }

  /** A stream answered 200. A resume is caught up once it has what the others had at this moment. */
  opened(now: number, maxSeqSeen: number): void {
    this.failures = 0;
    if (this.phase !== 'reconnecting') return; // the first connect
    this.phase = 'catching-up';
    this.resumeTarget = maxSeqSeen;
    const counts = this.window.counts;
    if (!this.countedResume) counts.resumed++;
    this.countedResume = true;
    counts.lastResumedAt = Math.max(counts.lastResumedAt, now);
    this.checkCaughtUp(now);
  }

  /** A new window (its counts already fresh): a client still on its way counts as moved in it. */
  newWindow(): void {
    this.moved = this.phase !== 'steady';
    this.countedResume = this.phase === 'catching-up';
    this.countedCatchUp = false;
    if (this.moved) this.window.counts.moved++;
    if (this.countedResume) this.window.counts.resumed++;
  }

  /** Events the client still misses when the publisher's last event is `finalSeq`. */
  behind(finalSeq: number): number {
    return Math.max(0, finalSeq - this.lastSeq);
  }

  private checkCaughtUp(now: number): void {
    if (this.phase !== 'catching-up' || this.lastSeq < this.resumeTarget) return;
    this.phase = 'steady';
    const counts = this.window.counts;
    if (!this.countedCatchUp) counts.caughtUp++;
    this.countedCatchUp = true;
    counts.lastCaughtUpAt = Math.max(counts.lastCaughtUpAt, now);
  }
}
