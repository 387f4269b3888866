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

export interface ScenarioResult {
  target: 'gateway' | 'nchan' | 'bare';
  scenario: 'idle' | 'broadcast' | 'channels';
  /** e.g. "broadcast 1000 subs". */
  label: string;
  idle?: IdleResult;
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
