// The messages between the benchmark's orchestrator and its child processes (load clients and
// the publisher), over Node's IPC channel.
import type { HistogramData } from './histogram';
import type { ReconnectPolicy, WindowCounts } from './storm-book';

/** How a load client reaches the server under test. */
export interface StreamTarget {
  kind: 'gateway' | 'nchan';
  /** Loopback addresses to spread connections over (each has its own ephemeral port range). */
  hosts: string[];
  port: number;
  /** HS256 secret for per-connection tokens (gateway only). */
  jwtSecret?: string;
}

/** Connections `first, first + step, …` below `total`; connection i follows channel `channelOf(i)`. */
export interface OpenCommand {
  t: 'open';
  target: StreamTarget;
  first: number;
  step: number;
  total: number;
  /** One channel for all (`one`), or channel `<prefix><i>` for connection i (`each`). */
  channels: { mode: 'one'; name: string } | { mode: 'each'; prefix: string };
  /** Connection attempts in flight at once in this process. */
  concurrency: number;
  /** Give up on connections not open after this long. */
  timeoutMs: number;
}

export type LoadCommand = OpenCommand | { t: 'stats'; reset: boolean } | { t: 'close' };

export interface OpenedReport {
  t: 'opened';
  ok: number;
  failed: number;
  /** First failure reasons, e.g. "HTTP 429", "ECONNRESET". */
  errors: string[];
  startedAt: number;
  /** Epoch ms when the last connection got its response headers. */
  lastOpenAt: number;
}

export interface StatsReport {
  t: 'stats';
  open: number;
  received: number;
  /** Events missing by sequence number (a jump forward within a connection). */
  gaps: number;
  /** Events that repeated or went back in sequence. */
  disorder: number;
  /** Connections the server closed or reset since they opened. */
  dropped: number;
  latency: HistogramData;
}

export type LoadReport = OpenedReport | StatsReport | { t: 'closed' } | { t: 'error'; message: string };

export type PublishMode = 'sdk' | 'gateway-http' | 'nchan-http';

export interface PublisherInit {
  t: 'init';
  mode: PublishMode;
  redisUrl: string;
  schemasDir: string;
  /** Base URL of the gateway or nginx for HTTP publishing. */
  baseUrl: string;
  /** Bearer token with publish rights (gateway HTTP). */
  token?: string;
  channels: { mode: 'one'; name: string } | { mode: 'each'; prefix: string; count: number };
  /** Bytes of padding in each event's data. */
  padBytes: number;
  /** History kept per channel by the SDK path (default 100, as Nchan's message buffer). */
  historyMaxLen?: number;
}

/** Publish at `rate` events/s (or as fast as possible) for `durationMs`. */
export interface PublisherRun {
  t: 'run';
  rate: number | 'max';
  durationMs: number;
}

export type PublisherCommand = PublisherInit | PublisherRun | { t: 'close' };

export interface PublisherDone {
  t: 'done';
  published: number;
  failed: number;
  errors: string[];
  wallMs: number;
  /** Ticks at which the publisher could not send what was due (too many requests in flight). */
  behindTicks: number;
}

export type PublisherReport = { t: 'ready' } | PublisherDone | { t: 'closed' } | { t: 'error'; message: string };

/** The storm's clients (bench/lib/storm-client.ts): clients `first, first + step, …` below `total`, client i on gateway i mod ports. */
export interface StormOpenCommand {
  t: 'open';
  hosts: string[];
  /** One port per gateway, in the fleet's order. */
  ports: number[];
  first: number;
  step: number;
  total: number;
  channel: string;
  jwtSecret: string;
  concurrency: number;
  timeoutMs: number;
  policy: ReconnectPolicy;
}

export type StormCommand = StormOpenCommand | { t: 'window' } | { t: 'stats'; finalSeq?: number } | { t: 'close' };

export interface StormStatsReport {
  t: 'storm-stats';
  /** Clients whose first connect succeeded. */
  clients: number;
  open: number;
  /** Clients reconnecting or still catching up. */
  unsettled: number;
  counts: WindowCounts;
  /** Latency of events received by clients not moved in the window, and by the moved ones. */
  stable: HistogramData;
  moved: HistogramData;
  /** Open streams per gateway (the fleet's order). */
  perGateway: number[];
  maxSeq: number;
  /** With `finalSeq`: events the open clients still miss, summed. */
  behind: number;
}

export type StormReport = OpenedReport | StormStatsReport | { t: 'window' } | { t: 'closed' } | { t: 'error'; message: string };

/** The replay's readers (bench/lib/replay-client.ts): `readers` streams from `earliest` at once. */
export interface ReplayCommand {
  t: 'replay';
  host: string;
  port: number;
  channel: string;
  jwtSecret: string;
  readers: number;
  /** Events each reader must receive (the channel's whole history). */
  events: number;
  timeoutMs: number;
}

export interface ReplayDone {
  t: 'replayed';
  /** Epoch ms: the first connect, and the last reader's last event. */
  startedAt: number;
  doneAt: number;
  bytes: number;
  complete: number;
  short: number;
  duplicated: number;
  disorder: number;
  failedConnects: number;
  errors: string[];
}

export type ReplayReport = ReplayDone | { t: 'error'; message: string };
