// A benchmark run's results, made up but shaped like a real `npm run bench -- --compare nchan,bare`:
// what the report tests render.
import type { BenchResults, IdleResult, ReplayResult, ScenarioResult, StepResult, StormResult, StormStep } from '../../bench/lib/results';

type Target = ScenarioResult['target'];
type Path = StepResult['path'];

/** How much higher each target's latencies are, so their lines differ. */
const SLOWER: Record<Target, number> = { gateway: 1, nchan: 1.6, bare: 2.5 };

const cpu = { wallS: 6, seconds: { gateway: 3, 'load client': 2, publisher: 0.5, redis: 0.4 } };

function step(scenario: StepResult['scenario'], path: Path, rate: number | 'max', p99: number, channels = 1): StepResult {
  const published = typeof rate === 'number' ? rate * 6 : 60000;
  return {
    kind: 'step', scenario, subscribers: 1000, channels, path, rate, published, publishFailed: 0, publishErrors: [],
    publisherBehind: false, publishedPerSecond: typeof rate === 'number' ? rate : 13_700, expected: published, delivered: published, lost: 0,
    gaps: 0, disorder: 0, droppedConnections: 0, redisSubscriberKills: 0, deliveriesPerSecond: (typeof rate === 'number' ? rate : 13_700) * 1000,
    latency: { count: published, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 1.5 }, cdf: [], cpu,
    server: { gcMs: { minor: 40 }, eventLoopLagMaxMs: 60, eventLoopLagP99Ms: 20 },
  };
}

function ladder(target: Target, label: string, scenario: StepResult['scenario'], path: Path, rates: (number | 'max')[]): ScenarioResult {
  return { target, scenario, label: `${label}, ${path}`, steps: rates.map((rate, i) => step(scenario, path, rate, SLOWER[target] * (5 + 20 * i))), notes: [] };
}

/** Connects per second of each target (gateway below bare and Nchan, as in the first run). */
const CONNECTS: Record<Target, number> = { gateway: 2340, nchan: 6205, bare: 4271 };

function idle(target: Target, connections = 10_000): ScenarioResult {
  const perSecond = CONNECTS[target];
  const result: IdleResult = {
    kind: 'idle', connections, ok: connections, failed: 0, errors: [], connectSeconds: connections / perSecond, connectsPerSecond: perSecond,
    rssBeforeBytes: 50e6, rssAfterBytes: 160e6, rssPerConnectionBytes: 10_950, cpu,
  };
  return { target, scenario: 'idle', label: `idle ${connections}`, idle: result, steps: [], notes: [] };
}

const summary = (p99: number): StepResult['latency'] => ({ count: 100, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 1.5 });

export function replayResult(): ReplayResult {
  return {
    kind: 'replay', events: 1000, eventBytes: 15_000, readers: 100, witnessRate: 10,
    baseline: { published: 50, received: 50, lost: 0, latency: summary(8) },
    during: { published: 120, received: 120, lost: 0, latency: summary(60) },
    completionSeconds: 12.5, replayedBytes: 1.5e9, readersComplete: 100,
    readerProblems: { short: 0, duplicated: 0, disorder: 0, failedConnects: 0, errors: [] },
    rssBaselineBytes: 90 * 2 ** 20, rssPeakBytes: 250 * 2 ** 20, slowDisconnects: 0, cpu,
  };
}

function stormStep(label: string, signal: StormStep['signal'], gateway: number, moved: number, stormSeconds: number): StormStep {
  return {
    label, signal, gateway, moved, resumed: moved, caughtUp: moved, unsettled: 0,
    fromSignalSeconds: stormSeconds + 2, stormSeconds, resumedSeconds: stormSeconds - 0.1, pacedSeconds: moved / 3000,
    lost: 0, duplicated: 0, gapNotices: 0, refused: 0, refusals: {}, listenOverflows: 0, stable: summary(120), movedLatency: summary(2500),
    rssBeforeBytes: [100e6, 100e6, 100e6], rssPeakBytes: [100e6, 140e6, 130e6], perGateway: [0, 5000, 5000], cpu,
  };
}

/** 10,000 clients on 3 gateways; the killed gateway's 3,334 clients back in 1.4 s against 1.11 s paced. */
export function stormResult(): StormResult {
  return {
    kind: 'storm', clients: 10_000, gateways: 3, rate: 2, policy: 'eventsource',
    connect: { ok: 10_000, failed: 0, errors: [], seconds: 10_000 / 3000, perSecond: 3000, perGateway: [3334, 3333, 3333], listenOverflows: 0 },
    steps: [
      stormStep('SIGKILL gateway 1', 'SIGKILL', 1, 3334, 1.4),
      stormStep('SIGTERM gateway 2', 'SIGTERM', 2, 5000, 2.1),
      stormStep('SIGTERM gateway 3', 'SIGTERM', 3, 7500, 3.2),
      stormStep('SIGTERM gateway 1', 'SIGTERM', 1, 6250, 2.9),
    ],
    published: 120, publishFailed: 0, behindAtEnd: 0, notBackAtEnd: 0,
  };
}

/** The gateway on both publish paths, Nchan and the bare server on theirs; uneven rate ladders. */
export function benchResults(): BenchResults {
  const scenarios: ScenarioResult[] = [];
  for (const target of ['gateway', 'nchan', 'bare'] as const) {
    const paths: Path[] = target === 'gateway' ? ['sdk', 'gateway-http'] : ['nchan-http'];
    scenarios.push(idle(target), idle(target, 19_800));
    for (const path of paths) {
      scenarios.push(ladder(target, 'broadcast 1000 subs', 'broadcast', path, [10, 50, 100, 200, 400, 800]));
      scenarios.push(ladder(target, 'broadcast 10000 subs', 'broadcast', path, [1, 10, 50, 100]));
      scenarios.push(ladder(target, 'channels 10000×1', 'channels', path, [1000, 5000, 10_000, 15_000, 20_000, 'max']));
    }
  }
  scenarios.push(
    { target: 'gateway', scenario: 'replay', label: 'replay 100×1000', replay: replayResult(), steps: [], notes: [] },
    { target: 'gateway', scenario: 'storm', label: 'storm 10000 on 3', storm: stormResult(), steps: [], notes: [] },
  );
  return {
    startedAt: '2026-11-24T12:23:00.000Z', durationS: 540, mode: 'default',
    machine: { cpus: 2, cpuModel: 'test CPU', memoryGB: 24, kernel: '6.1', node: 'v20.20.2', redis: '7.0.15', nginx: 'nginx/1.22.1', openFileLimit: 65536, loadAverageAtStart: 0.4 },
    targets: [{ name: 'gateway', version: 'sse-gateway 0.1.0' }, { name: 'nchan', version: 'Nchan 1.3.6' }, { name: 'bare', version: 'bare node:http' }],
    notes: [],
    scenarios,
  };
}
