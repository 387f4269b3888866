// The performance targets (listed in bench/README.md), checked against a run's results: measured
// figure and met/missed for the gateway, and the compared targets' figures beside it.
import { othersIn } from './report';
import type { BenchResults, ScenarioResult, StepResult } from './results';

interface GoalRow {
  goal: string;
  gateway: string;
  met: boolean | undefined;
  /** The same figure for each compared target that ran (nchan, bare). */
  others: Record<string, string>;
}

const ok = (step: StepResult, p99Ms: number): boolean => step.lost === 0 && step.latency.p99 < p99Ms;

function ladder(results: BenchResults, target: string, prefix: string, path: 'sdk' | 'gateway-http' | 'nchan-http' = 'nchan-http'): ScenarioResult | undefined {
  return results.scenarios.find((s) => s.target === target && s.label.startsWith(prefix) && s.steps[0]?.path === path);
}

/** The highest fixed rate whose step met the latency bound with no loss, and that step. */
function highestRate(scenario: ScenarioResult | undefined, p99Ms: number): StepResult | undefined {
  return scenario?.steps.filter((s) => s.rate !== 'max' && ok(s, p99Ms)).sort((a, b) => (b.rate as number) - (a.rate as number))[0];
}

const ms = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

function idleFigure(results: BenchResults, target: string, pick: (i: NonNullable<ScenarioResult['idle']>) => string): string {
  const idle = results.scenarios.find((s) => s.target === target && s.label === 'idle 10000')?.idle;
  return idle ? pick(idle) : 'not run';
}

function rateFigure(scenario: ScenarioResult | undefined, p99Ms: number, unit: string): string {
  if (!scenario) return 'not run';
  const best = highestRate(scenario, p99Ms);
  return best ? `${best.rate} ${unit} (p99 ${ms(best.latency.p99)})` : `none (lowest rate: p99 ${ms(scenario.steps[0]?.latency.p99 ?? NaN)})`;
}

function stepAt(scenario: ScenarioResult | undefined, rate: number): StepResult | undefined {
  return scenario?.steps.find((s) => s.rate === rate);
}

const p99At = (step: StepResult | undefined): string => (step ? `p99 ${ms(step.latency.p99)}${step.lost > 0 ? `, ${step.lost} lost` : ''}` : 'not run');

export function goalRows(results: BenchResults): GoalRow[] {
  const ran = othersIn(results).map((o) => o.name as string);
  const per = (figure: (target: string) => string): Record<string, string> => Object.fromEntries(ran.map((name) => [name, figure(name)]));
  const rows: GoalRow[] = [];

  const gwIdle = results.scenarios.find((s) => s.target === 'gateway' && s.label === 'idle 10000')?.idle;
  rows.push({
    goal: 'RSS per idle connection ≤ 10 KB',
    gateway: idleFigure(results, 'gateway', (i) => `${(i.rssPerConnectionBytes / 1024).toFixed(1)} KB`),
    met: gwIdle ? gwIdle.rssPerConnectionBytes <= 10 * 1024 : undefined,
    others: per((t) => idleFigure(results, t, (i) => `${(i.rssPerConnectionBytes / 1024).toFixed(1)} KB`)),
  });
  rows.push({
    goal: 'connect 10k clients ≥ 8k/s (JWT verified)',
    gateway: idleFigure(results, 'gateway', (i) => `${Math.round(i.connectsPerSecond)}/s (${i.connectSeconds.toFixed(2)} s)`),
    met: gwIdle ? gwIdle.connectsPerSecond >= 8000 && gwIdle.failed === 0 : undefined,
    others: per((t) => idleFigure(results, t, (i) => `${Math.round(i.connectsPerSecond)}/s (${i.connectSeconds.toFixed(2)} s)`)),
  });

  const b1 = ladder(results, 'gateway', 'broadcast 1000 ', 'sdk');
  const b1http = ladder(results, 'gateway', 'broadcast 1000 ', 'gateway-http');
  const b1best = highestRate(b1, 100);
  rows.push({
    goal: 'broadcast 1k subs: ≥ 200 msg/s with p99 < 100 ms',
    gateway: `SDK: ${rateFigure(b1, 100, 'msg/s')}; HTTP: ${rateFigure(b1http, 100, 'msg/s')}`,
    met: b1 ? (b1best?.rate as number | undefined ?? 0) >= 200 : undefined,
    others: per((t) => rateFigure(ladder(results, t, 'broadcast 1000 '), 100, 'msg/s')),
  });

  const b10 = ladder(results, 'gateway', 'broadcast 10000 ', 'sdk');
  const at1 = stepAt(b10, 1);
  const at10 = stepAt(b10, 10);
  rows.push({
    goal: 'broadcast 10k subs, 1 msg/s: p99 < 50 ms',
    gateway: p99At(at1),
    met: at1 ? ok(at1, 50) : undefined,
    others: per((t) => p99At(stepAt(ladder(results, t, 'broadcast 10000 '), 1))),
  });
  rows.push({
    goal: 'broadcast 10k subs, 10 msg/s: p99 < 100 ms',
    gateway: p99At(at10),
    met: at10 ? ok(at10, 100) : undefined,
    others: per((t) => p99At(stepAt(ladder(results, t, 'broadcast 10000 '), 10))),
  });

  const ch = ladder(results, 'gateway', 'channels ', 'sdk');
  const chHttp = ladder(results, 'gateway', 'channels ', 'gateway-http');
  const chBest = highestRate(ch, 10);
  const maxOf = (s: ScenarioResult | undefined): string => {
    const step = s?.steps.find((x) => x.rate === 'max');
    return step ? `; max ${Math.round(step.deliveriesPerSecond)} deliveries/s, p99 ${ms(step.latency.p99)}${step.lost > 0 ? `, ${step.lost} lost` : ''}` : '';
  };
  rows.push({
    goal: '10k channels × 1 sub: ≥ 15k msg/s with p99 < 10 ms',
    gateway: `SDK: ${rateFigure(ch, 10, 'msg/s')}${maxOf(ch)}; HTTP: ${rateFigure(chHttp, 10, 'msg/s')}${maxOf(chHttp)}`,
    met: ch ? (chBest?.rate as number | undefined ?? 0) >= 15000 : undefined,
    others: per((t) => `${rateFigure(ladder(results, t, 'channels '), 10, 'msg/s')}${maxOf(ladder(results, t, 'channels '))}`),
  });

  const lost = (target: string): string => {
    const steps = results.scenarios.filter((s) => s.target === target).flatMap((s) => s.steps);
    const bad = steps.filter((s) => s.lost > 0);
    return bad.length === 0 ? `0 in all ${steps.length} steps` : bad.map((s) => `${s.lost} at ${s.scenario} ${s.rate}${s.rate === 'max' ? '' : '/s'} (${s.path})`).join('; ');
  };
  const gwSteps = results.scenarios.filter((s) => s.target === 'gateway').flatMap((s) => s.steps);
  rows.push({
    goal: 'loss 0 in every row',
    gateway: lost('gateway'),
    met: gwSteps.length > 0 ? gwSteps.every((s) => s.lost === 0) : undefined,
    others: per(lost),
  });
  // The targets are defined on the default plan's sizes (10k connections, 10k channels).
  return results.mode === 'default' ? rows : rows.map((row) => ({ ...row, met: undefined }));
}

/** The met? cell. */
export function verdict(results: BenchResults, met: boolean | undefined, missed = 'MISSED'): string {
  if (met === undefined) return results.mode === 'default' ? 'not run' : 'n/a (--quick)';
  return met ? 'met' : missed;
}

export function goalTable(results: BenchResults): string {
  const present = othersIn(results);
  const rows = goalRows(results).map((r) => [r.goal, r.gateway, verdict(results, r.met), ...present.map((o) => r.others[o.name] ?? '')]);
  const header = ['target', 'gateway', 'met?', ...present.map((o) => o.title)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
