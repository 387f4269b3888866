// The results as Markdown tables (bench/results/latest.md), for pasting into bench/README.md.
import { goalRows, verdict } from './goals';
import { comparisons, cpuTotals, othersIn } from './report';
import { resumeTables } from './resume-report';
import type { BenchResults, StepResult } from './results';

const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const k = (v: number): string => (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a) ? '' : `${(a / b).toFixed(2)}×`;

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function cells(step: StepResult | undefined): string[] {
  if (!step) return ['', '', '', ''];
  return [k(step.deliveriesPerSecond), `${f(step.latency.p50)} / ${f(step.latency.p99)} / ${f(step.latency.max, 0)}`, String(step.lost),
    `${f(((step.cpu.seconds.gateway ?? 0) + (step.cpu.seconds.nginx ?? 0) + (step.cpu.seconds['bare server'] ?? 0)) / step.cpu.wallS, 2)} / ${f((step.cpu.seconds['load client'] ?? 0) / step.cpu.wallS, 2)}`];
}

export function markdownReport(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`Run of ${results.startedAt} (${results.mode} plan, ${results.durationS.toFixed(0)} s): ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB RAM, ${m.kernel}, Node ${m.node}, Redis ${m.redis}${m.nginx ? `, ${m.nginx}` : ''}; load average ${m.loadAverageAtStart.toFixed(1)} at start.`);
  const present = othersIn(results);
  const idle = results.scenarios.filter((s) => s.scenario === 'idle' && s.target === 'gateway');
  if (idle.length > 0) {
    out.push('', '**Idle connections** (one channel)', '');
    out.push(row(['connections', 'gateway: connect s (conn/s)', 'gateway KB/conn', ...present.flatMap((o) => [`${o.title}: connect s (conn/s)`, `${o.title} KB/conn`, 'conn/s ratio', 'KB ratio'])]));
    out.push(row(Array.from({ length: 3 + 4 * present.length }, (_, i) => (i === 0 ? '---' : '---:'))));
    for (const g of idle) {
      const gi = g.idle!;
      out.push(row([
        `${gi.connections}${gi.failed > 0 ? ` (${gi.failed} failed)` : ''}`, `${f(gi.connectSeconds, 2)} (${k(gi.connectsPerSecond)}/s)`, f(gi.rssPerConnectionBytes / 1024),
        ...present.flatMap((o) => {
          const n = results.scenarios.find((s) => s.target === o.name && s.label === g.label)?.idle;
          return [n ? `${f(n.connectSeconds, 2)} (${k(n.connectsPerSecond)}/s)` : '', n ? f(n.rssPerConnectionBytes / 1024) : '', ratio(gi.connectsPerSecond, n?.connectsPerSecond), ratio(gi.rssPerConnectionBytes, n?.rssPerConnectionBytes)];
        }),
      ]));
    }
  }
  for (const { title, gateway, others } of comparisons(results)) {
    out.push('', `**${title}**`, '');
    out.push(row(['rate/s', 'gw deliv/s', 'gw p50 / p99 / max ms', 'gw lost', 'gw cores srv / cli', 'gw loop stall / GC ms',
      ...others.flatMap((o) => [`${o.title} deliv/s`, `${o.title} p50 / p99 / max ms`, `${o.title} lost`, `${o.title} cores srv / cli`, 'deliv ratio', 'p99 ratio'])]));
    out.push(row(Array.from({ length: 6 + 6 * others.length }, (_, i) => (i === 0 ? '---' : '---:'))));
    const rates = [...new Set([...gateway.steps, ...others.flatMap((o) => o.result?.steps ?? [])].map((s) => s.rate))];
    const behind = (who: string, s: StepResult | undefined): string => (s?.publisherBehind ? ` (${who}: publisher reached ${k(s.publishedPerSecond)}/s)` : '');
    for (const rate of rates) {
      const g = gateway.steps.find((s) => s.rate === rate);
      const ns = others.map((o) => o.result?.steps.find((s) => s.rate === rate));
      out.push(row([`${rate}${behind('gateway', g)}${ns.map((n, i) => behind(others[i]!.title, n)).join('')}`, ...cells(g), g?.server ? `${f(g.server.eventLoopLagMaxMs, 0)} / ${f(Object.values(g.server.gcMs).reduce((a, b) => a + b, 0), 0)}` : '',
        ...ns.flatMap((n) => [...cells(n), ratio(g?.deliveriesPerSecond, n?.deliveriesPerSecond), ratio(g?.latency.p99, n?.latency.p99)])]));
    }
    const stops = [gateway.stoppedBecause ? `gateway stopped: ${gateway.stoppedBecause}` : '', ...others.map((o) => (o.result?.stoppedBecause ? `${o.title} stopped: ${o.result.stoppedBecause}` : ''))].filter(Boolean);
    if (stops.length > 0) out.push('', `Ladder: ${stops.join('; ')}.`);
    const reruns = [['gateway', gateway] as const, ...others.map((o) => [o.title, o.result] as const)].flatMap(([who, r]) =>
      (r?.steps ?? []).filter((x) => x.firstAttempt).map((x) => `${who} at ${x.rate}/s (first run: p99 ${f(x.firstAttempt!.latency.p99)} ms)`));
    if (reruns.length > 0) out.push('', `Re-run once to confirm a p99 over the limit (the table shows the re-run): ${reruns.join('; ')}.`);
  }
  for (const t of resumeTables(results)) {
    out.push('', `**${t.title}**`, '', row(t.header), row(t.header.map((_, i) => (i === 0 ? '---' : '---:'))), ...t.rows.map(row));
    if (t.notes.length > 0) out.push('', ...t.notes.map((note) => `- ${note}`));
  }
  out.push('', '**Goals**, judged within this run (gateway: both publish paths where stated; loss counts every path)', '');
  out.push(row(['goal', 'gateway', 'met?', ...present.map((o) => o.title)]), row(['---', '---', '---', ...present.map(() => '---')]));
  for (const r of goalRows(results)) out.push(row([r.goal, r.gateway, verdict(results, r, '**missed**'), ...present.map((o) => r.others[o.name] ?? '')]));
  out.push('', '**CPU split** over the run (CPU seconds)', '');
  const names = [...new Set(results.targets.flatMap((t) => Object.keys(cpuTotals(results.scenarios, t.name))))];
  out.push(row(['run against', ...names]), row(['---', ...names.map(() => '---:')]));
  for (const t of results.targets) {
    const totals = cpuTotals(results.scenarios, t.name);
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    out.push(row([t.name, ...names.map((n) => (totals[n] !== undefined ? `${f(totals[n])} (${f((100 * totals[n]) / Math.max(all, 1e-9), 0)}%)` : ''))]));
  }
  for (const note of results.notes) out.push('', `Note: ${note}`);
  return `${out.join('\n')}\n`;
}
