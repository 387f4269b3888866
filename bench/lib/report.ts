// The results as terminal tables (the HTML page is html-report.ts, the Markdown markdown.ts).
import type { BenchResults, ScenarioResult, StepResult } from './results';
import { goalTable } from './goals';
import { resumeTables } from './resume-report';

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const kfmt = (value: number): string => (value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0));
const rateText = (rate: number | 'max'): string => (rate === 'max' ? 'max' : String(rate));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Cores busy in the server and in the load client during a step (CPU seconds / wall seconds). */
function cores(step: StepResult): string {
  const server = (step.cpu.seconds.gateway ?? 0) + (step.cpu.seconds.nginx ?? 0) + (step.cpu.seconds['bare server'] ?? 0);
  const client = step.cpu.seconds['load client'] ?? 0;
  return `${(server / step.cpu.wallS).toFixed(2)}/${(client / step.cpu.wallS).toFixed(2)}`;
}

/** The gateway's longest event-loop stall during the step, and its GC time (ms). */
function stalls(step: StepResult): string {
  if (!step.server) return '';
  const gc = Object.values(step.server.gcMs).reduce((a, b) => a + b, 0);
  return `${step.server.eventLoopLagMaxMs.toFixed(0)}/${gc.toFixed(0)}`;
}

function stepCells(step: StepResult | undefined): string[] {
  if (step === undefined) return ['', '', '', '', '', '', '', ''];
  return [
    kfmt(step.publishedPerSecond),
    kfmt(step.deliveriesPerSecond),
    fmt(step.latency.p50),
    fmt(step.latency.p99),
    fmt(step.latency.max, 0),
    String(step.lost),
    cores(step),
    stalls(step),
  ];
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a) ? '' : `${(a / b).toFixed(2)}×`;
}

/** Scenario results of a target grouped by what they measure (without the publish path). */
function baseLabel(result: ScenarioResult): string {
  return result.label.replace(/, [^,]*$/, '');
}

/** The targets compared with the gateway, in the order their columns appear. */
const OTHERS = [
  { name: 'nchan', title: 'Nchan', short: 'nchan' },
  { name: 'bare', title: 'bare node:http', short: 'bare' },
] as const;

interface Other {
  title: string;
  short: string;
  result: ScenarioResult | undefined;
}

export interface Comparison {
  title: string;
  gateway: ScenarioResult;
  others: Other[];
}

/** The compared targets that ran at all. */
export function othersIn(results: BenchResults): (typeof OTHERS)[number][] {
  return OTHERS.filter((o) => results.scenarios.some((s) => s.target === o.name));
}

export function comparisons(results: BenchResults): Comparison[] {
  const present = othersIn(results);
  return results.scenarios
    .filter((s) => s.target === 'gateway' && (s.scenario === 'broadcast' || s.scenario === 'channels'))
    .map((gateway) => ({
      title: `${gateway.label}${present.length > 0 ? ` vs ${present.map((o) => `${o.title} (HTTP POST per event)`).join(' and ')}` : ''}`,
      gateway,
      others: present.map((o) => ({
        title: o.title,
        short: o.short,
        result: results.scenarios.find((n) => n.target === o.name && baseLabel(n) === baseLabel(gateway)),
      })),
    }));
}

export function terminalReport(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB, ${m.kernel}; Node ${m.node}; Redis ${m.redis}${m.nginx ? `; ${m.nginx}` : ''}; open files ${m.openFileLimit}; load average ${m.loadAverageAtStart.toFixed(1)} at start`);
  const present = othersIn(results);
  const idle = results.scenarios.filter((s) => s.scenario === 'idle' && s.target === 'gateway');
  if (idle.length > 0) {
    out.push('\nIdle connections (one channel)');
    const header = ['connections', 'gw open', 'gw s', 'gw conn/s', 'gw KB/conn',
      ...present.flatMap((o) => [`${o.short} open`, `${o.short} s`, `${o.short} conn/s`, `${o.short} KB/conn`, 'conn/s ratio', 'KB ratio'])];
    const rows = idle.map((g) => {
      const gi = g.idle!;
      return [
        String(gi.connections), String(gi.ok), fmt(gi.connectSeconds, 2), kfmt(gi.connectsPerSecond), fmt(gi.rssPerConnectionBytes / 1024),
        ...present.flatMap((o) => {
          const n = results.scenarios.find((s) => s.target === o.name && s.label === g.label)?.idle;
          return [n ? String(n.ok) : '', n ? fmt(n.connectSeconds, 2) : '', n ? kfmt(n.connectsPerSecond) : '', n ? fmt(n.rssPerConnectionBytes / 1024) : '',
            ratio(gi.connectsPerSecond, n?.connectsPerSecond), ratio(gi.rssPerConnectionBytes, n?.rssPerConnectionBytes)];
        }),
      ];
    });
    out.push(table(header, rows));
  }
  for (const { title, gateway, others } of comparisons(results)) {
    out.push(`\n${title}`);
    const cols = ['pub/s', 'deliv/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'cpu srv/cli', 'loop/GC ms'];
    const header = ['rate', ...cols.map((c) => `gw ${c}`), ...others.flatMap((o) => [...cols.map((c) => `${o.short} ${c}`), 'deliv ratio', 'p99 ratio'])];
    const rates = [...new Set([...gateway.steps, ...others.flatMap((o) => o.result?.steps ?? [])].map((s) => s.rate))];
    const rows = rates.map((rate) => {
      const g = gateway.steps.find((s) => s.rate === rate);
      return [rateText(rate), ...stepCells(g), ...others.flatMap((o) => {
        const n = o.result?.steps.find((s) => s.rate === rate);
        return [...stepCells(n), ratio(g?.deliveriesPerSecond, n?.deliveriesPerSecond), ratio(g?.latency.p99, n?.latency.p99)];
      })];
    });
    out.push(table(header, rows));
    for (const [who, r] of [['gateway', gateway] as const, ...others.map((o) => [o.short, o.result] as const)]) {
      if (r?.stoppedBecause) out.push(`  ${who}: ladder stopped: ${r.stoppedBecause}`);
      for (const note of r?.notes ?? []) out.push(`  ${who}: ${note}`);
      for (const step of r?.steps ?? []) {
        if (step.publishFailed > 0) out.push(`  ${who} ${rateText(step.rate)}: ${step.publishFailed} publishes failed: ${step.publishErrors[0] ?? ''}`);
        if (step.firstAttempt) out.push(`  ${who} ${rateText(step.rate)}: re-run to confirm; the first run had p99 ${fmt(step.firstAttempt.latency.p99)} ms`);
        if (step.publisherBehind) out.push(`  ${who} ${rateText(step.rate)}: the publisher could not keep the rate (${kfmt(step.publishedPerSecond)}/s)`);
      }
    }
  }
  for (const t of resumeTables(results)) {
    out.push(`\n${t.title}`, table(t.header, t.rows), ...t.notes.map((note) => `  ${note}`));
  }
  if (!results.scenarios.some((s) => s.target === 'gateway')) out.push(plainSteps(results));
  out.push('\nGoals of bench/README.md, judged within this run (gateway: both publish paths where stated; loss counts every path)');
  out.push(goalTable(results));
  out.push('\nloop/GC ms: the gateway\'s longest event-loop stall in the step and its total GC time (from its /metrics).');
  out.push('cpu srv/cli: cores busy in the server (gateway, all nginx processes, or the bare server) / in the load client during the step.');
  out.push('\nCPU split (CPU seconds over the whole run, share of the total)');
  out.push(cpuTable(results));
  for (const note of results.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

/** Without the gateway there is nothing to compare against: each target's steps as they are. */
function plainSteps(results: BenchResults): string {
  const out: string[] = [];
  for (const scenario of results.scenarios.filter((s) => s.steps.length > 0)) {
    out.push(`\n${scenario.target}: ${scenario.label}`);
    out.push(table(['rate', 'pub/s', 'deliv/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'cpu srv/cli', ''], scenario.steps.map((s) => [rateText(s.rate), ...stepCells(s)])));
  }
  return out.join('\n');
}

/** CPU seconds per process group over every scenario run against `target`. */
export function cpuTotals(scenarios: readonly ScenarioResult[], target: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const scenario of scenarios.filter((s) => s.target === target)) {
    const splits = [
      ...(scenario.idle ? [scenario.idle.cpu] : []), ...scenario.steps.map((s) => s.cpu),
      ...(scenario.replay ? [scenario.replay.cpu] : []), ...(scenario.storm?.steps.map((s) => s.cpu) ?? []),
    ];
    for (const split of splits) for (const [name, seconds] of Object.entries(split.seconds)) totals[name] = (totals[name] ?? 0) + seconds;
  }
  return totals;
}

function cpuTable(results: BenchResults): string {
  const rows: string[][] = [];
  for (const target of results.targets) {
    const totals = cpuTotals(results.scenarios, target.name);
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    for (const [name, seconds] of Object.entries(totals)) rows.push([target.name, name, fmt(seconds), `${fmt((100 * seconds) / Math.max(all, 1e-9), 0)}%`]);
  }
  return table(['run against', 'process', 'cpu s', 'share'], rows);
}
