// A benchmark run's results, made up but shaped like a real `npm run bench -- --compare nchan,bare`:
// what the report tests render.
import type { BenchResults, IdleResult, ScenarioResult, StepResult } from '../../bench/lib/results';

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

function idle(target: Target): ScenarioResult {
  const result: IdleResult = {
    kind: 'idle', connections: 10_000, ok: 10_000, failed: 0, errors: [], connectSeconds: 4.27, connectsPerSecond: 2340,
    rssBeforeBytes: 50e6, rssAfterBytes: 160e6, rssPerConnectionBytes: 10_950, cpu,
  };
  return { target, scenario: 'idle', label: 'idle 10000', idle: result, steps: [], notes: [] };
}

/** The gateway on both publish paths, Nchan and the bare server on theirs; uneven rate ladders. */
export function benchResults(): BenchResults {
  const scenarios: ScenarioResult[] = [];
  for (const target of ['gateway', 'nchan', 'bare'] as const) {
    const paths: Path[] = target === 'gateway' ? ['sdk', 'gateway-http'] : ['nchan-http'];
    scenarios.push(idle(target));
    for (const path of paths) {
      scenarios.push(ladder(target, 'broadcast 1000 subs', 'broadcast', path, [10, 50, 100, 200, 400, 800]));
      scenarios.push(ladder(target, 'broadcast 10000 subs', 'broadcast', path, [1, 10, 50, 100]));
      scenarios.push(ladder(target, 'channels 10000×1', 'channels', path, [1000, 5000, 10_000, 15_000, 20_000, 'max']));
    }
  }
  return {
    startedAt: '2026-11-24T12:23:00.000Z', durationS: 540, mode: 'default',
    machine: { cpus: 2, cpuModel: 'test CPU', memoryGB: 24, kernel: '6.1', node: 'v20.20.2', redis: '7.0.15', nginx: 'nginx/1.22.1', openFileLimit: 65536, loadAverageAtStart: 0.4 },
    targets: [{ name: 'gateway', version: 'sse-gateway 0.1.0' }, { name: 'nchan', version: 'Nchan 1.3.6' }, { name: 'bare', version: 'bare node:http' }],
    notes: [],
    scenarios,
  };
}
