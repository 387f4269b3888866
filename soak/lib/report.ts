// A soak's results: the terminal table (one row per invariant, then what happened), the JSON
// report, and a self-contained HTML page with RSS, connections and delivery latency over time
// (the benchmark's SVG chart, with time on the x axis).
import { escape, svgChart } from '../../bench/lib/html-report';
import type { SoakReport, TimePoint } from './soak';
import { INVARIANTS, type Invariant } from './tally';

type Series = Parameters<typeof svgChart>[1][number];

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function invariantRows(report: SoakReport): string[][] {
  return (Object.keys(INVARIANTS) as Invariant[]).map((key) => [
    key, String(report.tally.checks[key] ?? 0), String(report.tally.violations[key] ?? 0), INVARIANTS[key],
  ]);
}

/** The table and the closing line `soak: <checks> checks, <n> violations`. */
export function terminalReport(report: SoakReport): string {
  const c = report.counters;
  const lines = [
    table(['invariant', 'checks', 'violations', 'what'], invariantRows(report)),
    '',
    `run: ${fmt(report.durationS, 0)} s, ${report.options.rawClients} raw + ${report.options.libraryClients} library clients on ${report.options.channels + 4} channels, ${report.quietChecks} quiet checks`,
    `faults: ${report.faults.map((f) => `${f.kind} at ${fmt((f.start - Date.parse(report.startedAt)) / 1000, 0)} s`).join(', ') || 'none'}`,
    `traffic: ${c.published} events published (${c.publishRetries} retries), ${c.delivered} delivered and checked, ${c.gaps} gaps over trimmed history, ${c.expiries} tokens expired mid-stream, ${c.reconnects} reconnects, ${c.aways} aways, ${c.replayQuits} hang-ups mid-replay, ${c.hangups} mid-handshake, ${c.statuses} error answers`,
    `error answers (judged against the faults): ${Object.entries(report.errorAnswers).map(([k, n]) => `${n}× ${k}`).join(', ') || 'none'}`,
    `delivery latency (events published after their stream opened): p50 ${fmt(report.latency.p50)} ms, p99 ${fmt(report.latency.p99)} ms, max ${fmt(report.latency.max, 0)} ms`,
    ...report.flatness.map((f) => `${f.name} pid ${f.pid}: RSS ${fmt(f.rssFirst / 1048576)} → ${fmt(f.rssLast / 1048576)} MiB, streams ${f.connectionsFirst} → ${f.connectionsLast}, other open files ${f.fdsFirst} → ${f.fdsLast} (${f.samples} samples, first vs last quarter)`),
  ];
  if (report.tally.examples.length > 0) {
    lines.push('', 'violations (first ones):', ...report.tally.examples.slice(0, 20).map((v) => `  [${v.invariant}] ${v.where}: ${v.detail}`));
  }
  lines.push('', `soak: ${report.checks} checks, ${report.violations} violations`);
  return lines.join('\n');
}

function timeSeries(points: TimePoint[], pick: (p: TimePoint) => Record<string, number>): Series[] {
  const names = [...new Set(points.flatMap((p) => Object.keys(pick(p))))].sort();
  return names.map((name, i) => ({
    name, color: COLORS[i % COLORS.length]!,
    points: points.filter((p) => pick(p)[name] !== undefined).map((p) => ({ x: p.t, y: pick(p)[name]!, note: `${fmt(pick(p)[name]!)} at ${fmt(p.t, 0)} s` })),
  }));
}

export function htmlReport(report: SoakReport): string {
  const axes = { x: 'seconds since start' };
  const rss = svgChart('RSS per gateway', timeSeries(report.timeline, (p) => p.rssMiB), { ...axes, yUnit: 'MiB' });
  const connections = svgChart('SSE connections per gateway', timeSeries(report.timeline, (p) => p.connections), { ...axes, yUnit: '' });
  const latency = svgChart('delivery latency', timeSeries(report.timeline, (p) => ({ p50: p.p50, p99: p.p99 })), axes);
  const faults = report.faults.map((f) => `<li>${fmt((f.start - Date.parse(report.startedAt)) / 1000, 0)}–${fmt((f.end - Date.parse(report.startedAt)) / 1000, 0)} s: ${escape(f.what)}</li>`).join('');
  const rows = invariantRows(report).map((r) => `<tr>${r.map((c, i) => `<td${i === 1 || i === 2 ? ' class="n"' : ''}>${escape(c)}</td>`).join('')}</tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sse-gateway soak ${escape(report.startedAt)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}td.n{text-align:right}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}</style></head>
<body>
<h1>sse-gateway soak: ${report.violations === 0 ? 'no violations' : `${report.violations} violations`}</h1>
<p>${escape(report.startedAt)}, ${fmt(report.durationS, 0)} s; ${report.checks} checks.</p>
<table><thead><tr><th>invariant</th><th>checks</th><th>violations</th><th>what</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Faults</h2><ul>${faults}</ul>
${rss}
${connections}
${latency}
<details><summary>The terminal report</summary><pre>${escape(terminalReport(report))}</pre></details>
</body></html>
`;
}
