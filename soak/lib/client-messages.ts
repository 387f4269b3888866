// The messages between the soak's orchestrator and its client processes (Node IPC). Each command
// gets exactly one reply, in order.
import type { HistogramData } from '../../bench/lib/histogram';
import type { TrimClaim } from './channel-check';
import type { StatusRecord } from './client-kit';
import type { LibrarySpec, RawSpec } from './population';
import type { TallyData } from './tally';

export interface StartCommand {
  t: 'start';
  host: string;
  port: number;
  jwtSecret: string;
  retryMs: number;
  heartbeatMs: number;
  raw: RawSpec[];
  library: LibrarySpec[];
  /** Connections opened at once while starting. */
  concurrency: number;
}

/** A stream a client holds, as the gateways must see it. */
export interface HeldStream {
  subject: string;
  channels: string[];
  /** False for a library client changing streams: a gateway may hold it, or not yet, or twice. */
  certain: boolean;
}

export type ClientCommand =
  | StartCommand
  /** No new connections, no planned hang-ups. */
  | { t: 'hold' }
  /** While held: streams whose token expires within `horizonMs` hang up now. */
  | { t: 'quiet-down'; horizonMs: number }
  | { t: 'release' }
  | { t: 'snapshot' }
  | { t: 'hangups'; count: number; channels: string[] }
  | { t: 'stats' }
  | { t: 'finish'; lastIds: Record<string, string>; timeoutMs: number }
  | { t: 'stop' };

export interface ClientCounters {
  open: number;
  expiries: number;
  reconnects: number;
  hangups: number;
  replayQuits: number;
  aways: number;
  delivered: number;
  gaps: number;
}

export type ClientReport =
  | { t: 'ok' }
  | { t: 'started'; open: number; total: number }
  | { t: 'snapshot'; inFlight: number; streams: HeldStream[] }
  | { t: 'stats'; tally: TallyData; statuses: StatusRecord[]; latency: HistogramData; counters: ClientCounters }
  | { t: 'finished'; tally: TallyData; claims: TrimClaim[]; behind: number }
  | { t: 'error'; message: string };

/** Sends a command to every client process and checks each reply is of `kind`. */
export type Call = <T extends ClientReport['t']>(command: ClientCommand, kind: T) => Promise<Extract<ClientReport, { t: T }>[]>;
