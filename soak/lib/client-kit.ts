// What every soak client in a client process shares: where the load balancer is, the JWT secret,
// the hold (no new connections while the orchestrator compares gateways with what clients hold),
// and where statuses, latencies and trim claims go. Also decoding an event's envelope.
import { formatStreamId } from '@sse-gateway/publisher/protocol';
import { channelHash, decodeCursor } from '../../gateway/src/sse/cursor';
import { Histogram } from '../../bench/lib/histogram';
import type { TrimClaim } from './channel-check';
import { Tally } from './tally';

/** A non-2xx answer seen by a client or publisher. */
export interface StatusRecord {
  at: number;
  status: number;
  /** The gateway's error code, or '' (nginx's own pages have none). */
  code: string;
  what: 'stream' | 'publish';
  /** A 401 that came after the request's token expired (a handshake slower than the token's life). */
  tokenExpired?: boolean;
  /** From sending the request to the answer (stream requests), for the report. */
  elapsedMs?: number;
}

export class ClientKit {
  readonly tally = new Tally();
  readonly claims: TrimClaim[] = [];
  readonly latency = new Histogram();
  readonly statuses: StatusRecord[] = [];
  counters = { expiries: 0, reconnects: 0, hangups: 0, replayQuits: 0, aways: 0 };
  private holding = false;
  private waiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly jwtSecret: string,
    /** Base of the reconnection delay (the gateways' RETRY_MS). */
    readonly retryMs: number,
  ) {}

  get held(): boolean {
    return this.holding;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const wake of this.waiters.splice(0)) wake();
  }

  stop(): void {
    this.stopped = true;
    this.release();
  }

  /** Resolves at once, or when the hold ends. */
  whenFree(): Promise<void> {
    return this.holding ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  status(record: StatusRecord): void {
    if (this.statuses.length < 10_000) this.statuses.push(record);
  }

  /** A reconnection delay: the retry hint with jitter (0.5–1.5×), as EventSource-like clients do. */
  backoff(): number {
    return this.retryMs * (0.5 + Math.random());
  }
}

export interface TickEnvelope {
  id: string;
  channel: string;
  type: string;
  data: { seq: number; prev: string | null; sentAt: number };
}

interface GapData {
  channel: string;
  lastEventId: string;
  earliestId: string | null;
}

/** The `data` of a `gateway.gap` envelope, or undefined when it is not one. */
export function readGap(data: string): GapData | undefined {
  try {
    const gap = (JSON.parse(data) as { data?: Partial<GapData> }).data;
    const ok = typeof gap?.channel === 'string' && typeof gap.lastEventId === 'string' && (gap.earliestId === null || typeof gap.earliestId === 'string');
    return ok ? (gap as GapData) : undefined;
  } catch {
    return undefined;
  }
}

/** The position of `channel` in a stream cursor ('0-0' when the channel had nothing), or undefined. */
export function positionIn(cursor: string, channel: string): string | undefined {
  try {
    const id = decodeCursor(cursor).get(channelHash(channel));
    return id === undefined ? undefined : formatStreamId(id);
  } catch {
    return undefined;
  }
}

/** The envelope of a soak event, or a description of what is wrong with it. */
export function readTick(data: string): TickEnvelope | string {
  let envelope: unknown;
  try {
    envelope = JSON.parse(data);
  } catch {
    return `data is not JSON: ${data.slice(0, 80)}`;
  }
  const e = envelope as Partial<TickEnvelope>;
  if (typeof e?.id !== 'string' || typeof e.channel !== 'string' || typeof e.data?.seq !== 'number' || typeof e.data.sentAt !== 'number' || (e.data.prev !== null && typeof e.data.prev !== 'string')) {
    return `not a soak event: ${data.slice(0, 120)}`;
  }
  return e as TickEnvelope;
}
