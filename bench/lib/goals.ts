// The performance goals (bench/README.md, "The goals"), judged within one run: most are ratios to
// Nchan and the bare node:http server measured in the same run (`--compare nchan,bare`), so the
// verdict does not depend on how fast the machine is. Each row: the gateway's figure, met or
// missed (or why it cannot be judged), and the compared servers' figures beside it.
import { othersIn } from './report';
import type { BenchResults, IdleResult, ScenarioResult, StepResult } from './results';

interface GoalRow {
  goal: string;
  gateway: string;
  met: boolean | undefined;
  /** Why `met` is undefined when the plan ran the step but a reference is missing (e.g. "needs --compare nchan"). */
  why?: string;
  /** The same figure for each compared target that ran (nchan, bare). */
  others: Record<string, string>;
}

type Path = StepResult['path'];
type Target = ScenarioResult['target'];

const LATENCY_LIMIT_MS = 100;
const ms = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
const times = (v: number): string => `${v.toFixed(2)}×`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

function ladder(results: BenchResults, target: Target, prefix: string, path: Path = 'nchan-http'): ScenarioResult | undefined {
  return results.scenarios.find((s) => s.target === target && s.label.startsWith(prefix) && s.steps[0]?.path === path);
}

const stepAt = (scenario: ScenarioResult | undefined, rate: number): StepResult | undefined => scenario?.steps.find((s) => s.rate === rate);

/** The idle result at 10,000 connections ('10k') or at the largest size above it ('big'). */
function idleAt(results: BenchResults, target: Target, size: '10k' | 'big'): IdleResult | undefined {
  const idle = results.scenarios.filter((s) => s.target === target && s.idle).map((s) => s.idle!);
  return size === '10k' ? idle.find((i) => i.connections === 10_000) : idle.filter((i) => i.connections > 10_000).sort((a, b) => b.connections - a.connections)[0];
}

/** The highest fixed rate whose step had p99 under the limit and no loss. */
function highestRate(scenario: ScenarioResult | undefined): StepResult | undefined {
  return scenario?.steps.filter((s) => s.rate !== 'max' && s.lost === 0 && s.latency.p99 < LATENCY_LIMIT_MS).sort((a, b) => (b.rate as number) - (a.rate as number))[0];
}

/** The most deliveries per second of any step without loss (the `max` step included). */
function throughput(scenario: ScenarioResult | undefined): StepResult | undefined {
  return scenario?.steps.filter((s) => s.lost === 0).sort((a, b) => b.deliveriesPerSecond - a.deliveriesPerSecond)[0];
}

/** Compared targets that ran, by name, each with its figure. */
function othersOf(results: BenchResults, figure: (target: Target) => string): Record<string, string> {
  return Object.fromEntries(othersIn(results).map((o) => [o.name, figure(o.name)]));
}

function connectRow(results: BenchResults, size: '10k' | 'big'): GoalRow {
  const gw = idleAt(results, 'gateway', size);
  const n = gw?.connections ?? (size === '10k' ? 10_000 : undefined);
  const goal = `connect ${n === undefined ? 'the largest N' : `${(n / 1000).toFixed(n % 1000 === 0 ? 0 : 1)}k`} clients, a distinct JWT each: ≥ 1.0× bare and ≥ 0.5× Nchan`;
  const figure = (i: IdleResult | undefined): string => (i ? `${Math.round(i.connectsPerSecond)}/s (${i.connectSeconds.toFixed(2)} s)${i.failed > 0 ? `, ${i.failed} failed` : ''}` : 'not run');
  const bare = idleAt(results, 'bare', size);
  const nchan = idleAt(results, 'nchan', size);
  if (!gw) return { goal, gateway: 'not run', met: undefined, others: othersOf(results, (t) => figure(idleAt(results, t, size))) };
  const vsBare = bare ? gw.connectsPerSecond / bare.connectsPerSecond : undefined;
  const vsNchan = nchan ? gw.connectsPerSecond / nchan.connectsPerSecond : undefined;
  const ratios = [vsBare === undefined ? '' : `${times(vsBare)} bare`, vsNchan === undefined ? '' : `${times(vsNchan)} Nchan`].filter(Boolean).join(', ');
  const missing = [bare ? '' : 'bare', nchan ? '' : 'nchan'].filter(Boolean);
  return {
    goal,
    gateway: `${figure(gw)}${ratios ? `; ${ratios}` : ''}`,
    met: missing.length > 0 ? undefined : gw.failed === 0 && vsBare! >= 1 && vsNchan! >= 0.5,
    ...(missing.length > 0 ? { why: `needs --compare ${missing.join(',')}` } : {}),
    others: othersOf(results, (t) => figure(idleAt(results, t, size))),
  };
}

function memoryRow(results: BenchResults): GoalRow {
  const sizes = ['10k', 'big'] as const;
  const gw = sizes.map((size) => idleAt(results, 'gateway', size));
  const nchan = sizes.map((size) => idleAt(results, 'nchan', size));
  const figure = (target: Target): string =>
    sizes.map((size) => idleAt(results, target, size)).filter((i) => i !== undefined).map((i) => `${kb(i!.rssPerConnectionBytes)} at ${i!.connections}`).join(', ') || 'not run';
  const goal = 'RSS per idle connection ≤ 8 KB at 10k and at the largest N, and ≤ 0.8× Nchan';
  if (gw.some((i) => i === undefined)) return { goal, gateway: figure('gateway'), met: undefined, others: othersOf(results, figure) };
  const ratios = gw.map((i, k) => (nchan[k] ? i!.rssPerConnectionBytes / nchan[k]!.rssPerConnectionBytes : undefined));
  const underLimit = gw.every((i) => i!.rssPerConnectionBytes <= 8 * 1024);
  const ratioText = ratios.every((r) => r !== undefined) ? `; ${ratios.map((r) => times(r!)).join(', ')} Nchan` : '';
  return {
    goal,
    gateway: `${figure('gateway')}${ratioText}`,
    met: nchan.some((i) => i === undefined) ? undefined : underLimit && ratios.every((r) => r! <= 0.8),
    ...(nchan.some((i) => i === undefined) ? { why: 'needs --compare nchan' } : {}),
    others: othersOf(results, figure),
  };
}

/** p99 at one step of a ladder, on both gateway paths, against Nchan's p99 at the same step. */
function latencyRow(results: BenchResults, goal: string, prefix: string, rate: number): GoalRow {
  const nchan = stepAt(ladder(results, 'nchan', prefix), rate);
  const paths = (['sdk', 'gateway-http'] as const)
    .map((path) => ({ path, step: stepAt(ladder(results, 'gateway', prefix, path), rate) }))
    .filter((p) => p.step !== undefined);
  const figure = (step: StepResult | undefined): string => (step ? `p99 ${ms(step.latency.p99)}${step.lost > 0 ? `, ${step.lost} lost` : ''}` : 'not run');
  const gateway = paths.length === 0 ? 'not run' : paths.map(({ path, step }) =>
    `${path === 'sdk' ? 'SDK' : 'HTTP'} ${figure(step)}${nchan ? ` (${times(step!.latency.p99 / nchan.latency.p99)})` : ''}`).join('; ');
  const others = othersOf(results, (t) => figure(stepAt(ladder(results, t, prefix), rate)));
  if (paths.length === 0) return { goal, gateway, met: undefined, others };
  if (!nchan) return { goal, gateway, met: undefined, why: 'needs --compare nchan', others };
  return { goal, gateway, met: paths.every(({ step }) => step!.lost === 0 && step!.latency.p99 <= nchan.latency.p99), others };
}

function stormRow(results: BenchResults): GoalRow {
  const storm = results.scenarios.find((s) => s.target === 'gateway' && s.storm)?.storm;
  const goal = 'reconnect storm: a killed gateway\'s clients resume within 1.5× the paced connect time, 0 lost';
  const others = othersOf(results, () => 'n/a (gateway only)');
  const kill = storm?.steps.find((s) => s.signal === 'SIGKILL');
  if (!storm || !kill) return { goal, gateway: 'not run', met: undefined, others };
  const ratio = kill.stormSeconds / kill.pacedSeconds;
  const lost = storm.steps.reduce((sum, s) => sum + s.lost + s.duplicated, 0) + storm.behindAtEnd;
  const unsettled = storm.steps.reduce((sum, s) => sum + s.unsettled, 0) + storm.notBackAtEnd;
  return {
    goal,
    gateway: `${kill.moved} clients in ${kill.stormSeconds.toFixed(2)} s vs ${kill.pacedSeconds.toFixed(2)} s paced (${times(ratio)}); ` +
      `${lost} lost or duplicated over ${storm.steps.length} faults${unsettled > 0 ? `, ${unsettled} never resumed` : ''}`,
    met: ratio <= 1.5 && lost === 0 && unsettled === 0,
    others,
  };
}

function replayRow(results: BenchResults): GoalRow {
  const replay = results.scenarios.find((s) => s.target === 'gateway' && s.replay)?.replay;
  const goal = 'replay: concurrent resumes from earliest keep peak RSS ≤ baseline + 256 MB, 0 slow-client disconnects, every event to every reader';
  const others = othersOf(results, () => 'n/a (gateway only)');
  if (!replay) return { goal, gateway: 'not run', met: undefined, others };
  const above = replay.rssPeakBytes - replay.rssBaselineBytes;
  return {
    goal,
    gateway: `${replay.readers} readers: +${(above / 2 ** 20).toFixed(0)} MB, ${replay.slowDisconnects ?? '?'} slow disconnects, ${replay.readersComplete}/${replay.readers} readers complete`,
    met: above <= 256 * 2 ** 20 && replay.slowDisconnects === 0 && replay.readersComplete === replay.readers,
    others,
  };
}

/** A rate or throughput of the gateway's ladder (SDK path judged, HTTP shown) against Nchan's, `factor` times ahead. */
function aheadRow(results: BenchResults, goal: string, prefix: string, select: (s: ScenarioResult | undefined) => StepResult | undefined, factor: number, value: (s: StepResult) => number, unit: string): GoalRow {
  const figure = (step: StepResult | undefined): string => (step ? `${Math.round(value(step))} ${unit}` : 'none');
  const sdk = select(ladder(results, 'gateway', prefix, 'sdk'));
  const http = select(ladder(results, 'gateway', prefix, 'gateway-http'));
  const nchanLadder = ladder(results, 'nchan', prefix);
  const nchan = select(nchanLadder);
  const gateway = `SDK ${figure(sdk)}${nchan && sdk ? ` (${times(value(sdk) / value(nchan))} Nchan)` : ''}; HTTP ${figure(http)}`;
  const others = othersOf(results, (t) => (ladder(results, t, prefix) ? figure(select(ladder(results, t, prefix))) : 'not run'));
  if (!ladder(results, 'gateway', prefix, 'sdk')) return { goal, gateway: 'not run', met: undefined, others };
  if (!nchanLadder) return { goal, gateway, met: undefined, why: 'needs --compare nchan', others };
  // Nchan with no step within the bound: any rate the gateway holds is ahead.
  return { goal, gateway, met: sdk !== undefined && (nchan === undefined || value(sdk) >= factor * value(nchan)), others };
}

/** Every step of every scenario without loss, the replay's readers and witness and the storm included. */
function lossRow(results: BenchResults): GoalRow {
  const losses = (target: Target): string[] => {
    const scenarios = results.scenarios.filter((s) => s.target === target);
    const out = scenarios.flatMap((s) => s.steps).filter((s) => s.lost > 0).map((s) => `${s.lost} at ${s.scenario} ${s.rate}${s.rate === 'max' ? '' : '/s'} (${s.path})`);
    for (const s of scenarios) {
      const r = s.replay;
      if (r && r.baseline.lost + r.during.lost > 0) out.push(`${r.baseline.lost + r.during.lost} witness events in replay`);
      if (r && r.readersComplete < r.readers) out.push(`${r.readers - r.readersComplete} replay readers incomplete`);
      const storm = s.storm;
      const stormLost = storm ? storm.steps.reduce((sum, x) => sum + x.lost + x.duplicated, 0) + storm.behindAtEnd : 0;
      if (stormLost > 0) out.push(`${stormLost} lost or duplicated in the storm`);
    }
    return out;
  };
  const count = (target: Target): number => results.scenarios.filter((s) => s.target === target).reduce((n, s) => n + s.steps.length + (s.replay ? 2 : 0) + (s.storm?.steps.length ?? 0), 0);
  const figure = (target: Target): string => {
    const bad = losses(target);
    return bad.length === 0 ? `0 in all ${count(target)} steps` : bad.join('; ');
  };
  return { goal: 'no event lost in any step', gateway: figure('gateway'), met: count('gateway') > 0 ? losses('gateway').length === 0 : undefined, others: othersOf(results, figure) };
}

const rateOf = (step: StepResult | undefined): string => (step ? `${step.rate} msg/s` : 'none');

export function goalRows(results: BenchResults): GoalRow[] {
  const broadcast1k = (target: Target, path?: Path): StepResult | undefined => highestRate(ladder(results, target, 'broadcast 1000 ', path));
  const b1 = ladder(results, 'gateway', 'broadcast 1000 ', 'sdk');
  const rows: GoalRow[] = [
    connectRow(results, '10k'),
    connectRow(results, 'big'),
    memoryRow(results),
    latencyRow(results, 'p99, 10k channels × 1 sub at 1k msg/s ≤ 1.0× Nchan (SDK and HTTP)', 'channels ', 1000),
    latencyRow(results, 'p99, broadcast to 1k subs at 10 msg/s ≤ 1.0× Nchan (SDK and HTTP)', 'broadcast 1000 ', 10),
    latencyRow(results, 'p99, broadcast to 10k subs at 1 msg/s ≤ 1.0× Nchan (SDK and HTTP)', 'broadcast 10000 ', 1),
    stormRow(results),
    replayRow(results),
    aheadRow(results, `broadcast to 1k subs: ≥ 4× Nchan's highest rate with p99 < ${LATENCY_LIMIT_MS} ms and no loss`, 'broadcast 1000 ', highestRate, 4, (s) => s.rate as number, 'msg/s'),
    aheadRow(results, '10k channels × 1 sub: ≥ 3× Nchan\'s deliveries/s without loss', 'channels ', throughput, 3, (s) => s.deliveriesPerSecond, 'deliveries/s'),
    {
      goal: `broadcast to 1k subs: ≥ 200 msg/s with p99 < ${LATENCY_LIMIT_MS} ms (absolute, from the first targets)`,
      gateway: b1 ? `SDK ${rateOf(broadcast1k('gateway', 'sdk'))}; HTTP ${rateOf(broadcast1k('gateway', 'gateway-http'))}` : 'not run',
      met: b1 ? ((broadcast1k('gateway', 'sdk')?.rate as number | undefined) ?? 0) >= 200 : undefined,
      others: othersOf(results, (t) => rateOf(broadcast1k(t))),
    },
    lossRow(results),
  ];
  // The goals are defined on the default plan's sizes (10k connections, 10k channels, 100 readers).
  return results.mode === 'default' ? rows : rows.map((row) => ({ ...row, met: undefined }));
}

/** The met? cell. */
export function verdict(results: BenchResults, row: Pick<GoalRow, 'met' | 'why'>, missed = 'MISSED'): string {
  if (row.met === undefined) return results.mode !== 'default' ? 'n/a (--quick)' : (row.why ?? 'not run');
  return row.met ? 'met' : missed;
}

export function goalTable(results: BenchResults): string {
  const present = othersIn(results);
  const rows = goalRows(results).map((r) => [r.goal, r.gateway, verdict(results, r), ...present.map((o) => r.others[o.name] ?? '')]);
  const header = ['goal', 'gateway', 'met?', ...present.map((o) => o.title)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
