// The shape of the benchmark's results (also the JSON file's).
import type { LatencySummary } from './histogram';
import type { PublishMode } from './messages';
import type { CpuSplit } from './proc';

export interface IdleResult {
  kind: 'idle';
  connections: number;
  ok: number;
  failed: number;
  errors: string[];
  /** First attempt to last response headers. */
  connectSeconds: number;
  connectsPerSecond: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionBytes: number;
  cpu: CpuSplit;
}

export interface StepResult {
  kind: 'step';
  scenario: 'broadcast' | 'channels';
  subscribers: number;
  channels: number;
  path: PublishMode;
  /** Events/s asked of the publisher, or as fast as it could. */
  rate: number | 'max';
  published: number;
  publishFailed: number;
  publishErrors: string[];
  publisherBehind: boolean;
  /** Events the publisher stored per second over its run. */
  publishedPerSecond: number;
  expected: number;
  delivered: number;
  /** expected − delivered (events published but not received by a subscriber that should have). */
  lost: number;
  gaps: number;
  disorder: number;
  droppedConnections: number;
  /** Redis closed a subscriber connection over its pub/sub output buffer limit (the server fell behind). */
  redisSubscriberKills: number;
  deliveriesPerSecond: number;
  latency: LatencySummary;
  cdf: [number, number][];
  cpu: CpuSplit;
  /** The gateway's own metrics over the step: GC time by kind (ms) and its event-loop lag (max, p99). */
  server?: { gcMs: Record<string, number>; eventLoopLagMaxMs: number; eventLoopLagP99Ms: number };
  /** When the first run at this rate had p99 over the ladder's limit, this step is its confirming re-run and this was the first. */
  firstAttempt?: { latency: LatencySummary; lost: number; deliveriesPerSecond: number };
}

/** The witness subscriber's events over one phase of the replay scenario. */
export interface WitnessPhase {
  published: number;
  received: number;
  lost: number;
  latency: LatencySummary;
}

export interface ReplayResult {
  kind: 'replay';
  /** History of the replayed channel: events and bytes of each envelope (about). */
  events: number;
  eventBytes: number;
  readers: number;
  witnessRate: number;
  baseline: WitnessPhase;
  during: WitnessPhase;
  /** First reader's connect to the last reader's last event. */
  completionSeconds: number;
  /** Bytes the readers received, all of them. */
  replayedBytes: number;
  /** Readers that received exactly `events` events, in order; and what went wrong with the others. */
  readersComplete: number;
  readerProblems: { short: number; duplicated: number; disorder: number; failedConnects: number; errors: string[] };
  rssBaselineBytes: number;
  rssPeakBytes: number;
  /** sse_slow_client_disconnects_total over the storm (must be 0: replays are paced by the socket). */
  slowDisconnects: number | undefined;
  cpu: CpuSplit;
}

/** One fault of the storm: a gateway killed or terminated, its clients resuming on the others. */
export interface StormStep {
  label: string;
  signal: 'SIGKILL' | 'SIGTERM';
  /** 1-based, in the fleet's order. */
  gateway: number;
  moved: number;
  resumed: number;
  caughtUp: number;
  /** Clients not open and caught up when the step ended (0 unless it timed out). */
  unsettled: number;
  /** Signal → the last moved client resumed and caught up. */
  fromSignalSeconds: number;
  /** The first reconnect attempt → the last moved client resumed and caught up: the storm itself. */
  stormSeconds: number;
  /** The first reconnect attempt → the last moved client's stream open (its 200), before catching up. */
  resumedSeconds: number;
  /** What the paced connect took for as many clients (moved ÷ paced connects/s). */
  pacedSeconds: number;
  lost: number;
  duplicated: number;
  gapNotices: number;
  /** Reconnects answered with an error (e.g. 503 while draining) or refused, and by reason. */
  refused: number;
  refusals: Record<string, number>;
  /** Connections the kernel dropped on full listen queues during the step (machine-wide counter). */
  listenOverflows: number;
  /** Clients not moved in the step, and the moved ones (their resumed events included). */
  stable: LatencySummary;
  movedLatency: LatencySummary;
  rssBeforeBytes: number[];
  rssPeakBytes: number[];
  /** Open streams per gateway when the step ended. */
  perGateway: number[];
  cpu: CpuSplit;
}

export interface StormResult {
  kind: 'storm';
  clients: number;
  gateways: number;
  rate: number;
  policy: 'eventsource' | 'client';
  connect: { ok: number; failed: number; errors: string[]; seconds: number; perSecond: number; perGateway: number[]; listenOverflows: number };
  steps: StormStep[];
  published: number;
  publishFailed: number;
  /** Events the open clients still missed after the publisher stopped and deliveries settled. */
  behindAtEnd: number;
  /** Clients not open again by then (they gave up, or were still reconnecting). */
  notBackAtEnd: number;
}

export interface ScenarioResult {
  target: 'gateway' | 'nchan' | 'bare';
  scenario: 'idle' | 'broadcast' | 'channels' | 'replay' | 'storm';
  /** e.g. "broadcast 1000 subs". */
  label: string;
  idle?: IdleResult;
  replay?: ReplayResult;
  storm?: StormResult;
  steps: StepResult[];
  /** Why the rate ladder stopped early, if it did. */
  stoppedBecause?: string;
  notes: string[];
  profile?: string;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  kernel: string;
  node: string;
  redis: string;
  nginx?: string;
  openFileLimit: number;
  /** 1-minute load average when the run started (other work on the machine skews latency). */
  loadAverageAtStart: number;
}

export interface BenchResults {
  startedAt: string;
  durationS: number;
  mode: 'quick' | 'default';
  machine: Machine;
  targets: { name: string; version: string }[];
  notes: string[];
  scenarios: ScenarioResult[];
}
