// The results as one self-contained HTML page: an SVG latency chart per scenario, with the publish
// rate on a proportional x axis (the ladders are uneven: 10, 50, 100, 200, 400, 800), and HTML
// tables narrow enough for the page — long cells wrap instead of running off its right edge.
// The terminal's full-width tables follow, folded, for whoever wants every column.
import { goalRows, verdict } from './goals';
import { comparisons, cpuTotals, othersIn, terminalReport, type Comparison } from './report';
import { resumeTables } from './resume-report';
import type { BenchResults, StepResult } from './results';
import { pathLabel } from './scenarios';

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const kfmt = (value: number): string => (value >= 10_000 ? `${fmt(value / 1000)}k` : value.toFixed(0));
export const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

interface ChartPoint {
  /** Publish rate, events/s: the rate asked, or for the `max` step the rate reached. */
  x: number;
  /** Latency, ms. */
  y: number;
  /** Tooltip text. */
  note: string;
  /** The `max` step: drawn as a ring off the line, since its rate was not chosen but reached. */
  max?: boolean;
}

interface Series {
  name: string;
  color: string;
  dash?: boolean;
  points: ChartPoint[];
}

const CHART = { width: 760, height: 300, left: 60, right: 160, top: 30, bottom: 40 } as const;

/** Round tick values from 0 to at least `max`: steps of 1, 2 or 5 × 10^n, about five of them. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let tick = 0; ticks.length < 12; tick += step) {
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

/** x position (px) of each rate: proportional to the rate, from 0 to the last tick. */
export function xScale(maxRate: number): { x: (rate: number) => number; ticks: number[] } {
  const ticks = niceTicks(maxRate);
  const end = ticks[ticks.length - 1]!;
  const span = CHART.width - CHART.left - CHART.right;
  return { x: (rate) => CHART.left + (rate / end) * span, ticks };
}

/** What the axes of a chart measure. */
interface ChartAxes {
  /** @default 'publish rate (events/s)' */
  x?: string;
  /** The unit after each y tick. @default 'ms' */
  yUnit?: string;
}

/** A line chart: log y axis (ms, or `axes.yUnit`), linear x axis (events/s, or `axes.x`). */
export function svgChart(title: string, series: Series[], axes: ChartAxes = {}): string {
  const { x: xLabel = 'publish rate (events/s)', yUnit = 'ms' } = axes;
  const { width, height, left, right, top, bottom } = CHART;
  const points = series.flatMap((s) => s.points);
  const ys = points.map((p) => p.y).filter((v) => v > 0 && Number.isFinite(v));
  const minY = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...ys, 1))));
  const maxY = 10 ** Math.ceil(Math.log10(Math.max(...ys, 10)));
  const { x, ticks } = xScale(Math.max(...points.map((p) => p.x), 1));
  const y = (v: number): number => top + ((Math.log10(maxY) - Math.log10(Math.max(v, minY))) * (height - top - bottom)) / (Math.log10(maxY) - Math.log10(minY));
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<text x="${left}" y="16" font-size="13" font-weight="bold">${escape(title)}</text>`);
  for (let decade = minY; decade <= maxY; decade *= 10) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(decade)}" y2="${y(decade)}" stroke="#ddd"/><text x="${left - 6}" y="${y(decade) + 4}" text-anchor="end">${decade >= 1 ? decade : decade.toFixed(2)} ${escape(yUnit)}</text>`);
  }
  for (const tick of ticks) {
    parts.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${top}" y2="${height - bottom}" stroke="#eee"/><text x="${x(tick)}" y="${height - bottom + 16}" text-anchor="middle">${kfmt(tick)}</text>`);
  }
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">${escape(xLabel)}</text>`);
  series.forEach((s, k) => {
    const dash = s.dash ? ' stroke-dasharray="5,4"' : '';
    const path = s.points.filter((p) => !p.max).map((p, n) => `${n === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of s.points) {
      const fill = p.max ? `fill="white" stroke="${s.color}" stroke-width="2"` : `fill="${s.color}"`;
      parts.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="${p.max ? 4 : 3}" ${fill}><title>${escape(`${s.name}: ${p.note}`)}</title></circle>`);
    }
    parts.push(`<line x1="${width - right + 10}" x2="${width - right + 30}" y1="${top + 14 * k}" y2="${top + 14 * k}" stroke="${s.color}" stroke-width="2"${dash}/><text x="${width - right + 34}" y="${top + 14 * k + 4}">${escape(s.name)}</text>`);
  });
  if (points.some((p) => p.max)) {
    const k = series.length;
    parts.push(`<circle cx="${width - right + 20}" cy="${top + 14 * k}" r="4" fill="white" stroke="#555" stroke-width="2"/><text x="${width - right + 34}" y="${top + 14 * k + 4}">as fast as possible</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Where a step sits on the rate axis. */
function rateOf(step: StepResult): number {
  return step.rate === 'max' ? step.publishedPerSecond : step.rate;
}

function latencySeries(name: string, color: string, steps: StepResult[]): Series[] {
  const points = (pick: (s: StepResult) => number, what: string): ChartPoint[] =>
    steps
      .filter((s) => Number.isFinite(pick(s)))
      .sort((a, b) => rateOf(a) - rateOf(b))
      .map((s) => ({ x: rateOf(s), y: pick(s), max: s.rate === 'max', note: `${fmt(pick(s))} ms ${what} at ${s.rate === 'max' ? `max (${kfmt(s.publishedPerSecond)}/s reached)` : `${s.rate}/s`}` }));
  return [
    { name: `${name} p50`, color, dash: true, points: points((s) => s.latency.p50, 'p50') },
    { name: `${name} p99`, color, points: points((s) => s.latency.p99, 'p99') },
  ];
}

function latencyChart({ gateway, others }: Comparison): string {
  const colors = ['#d62728', '#2ca02c'];
  const series = [
    ...latencySeries('gateway', '#1f77b4', gateway.steps),
    ...others.flatMap((o, i) => (o.result ? latencySeries(o.title, colors[i]!, o.result.steps) : [])),
  ];
  // The long comparison title does not fit the chart: the legend names the others.
  return svgChart(gateway.label, series);
}

/** A header cell spanning `span` columns above the header row. */
interface HeaderGroup {
  label: string;
  span: number;
}

/**
 * An HTML table. Columns from `textColumns` on are numbers (right-aligned, never wrapped); header
 * cells wrap, so many narrow columns fit the page.
 */
function htmlTable(header: string[], rows: string[][], { textColumns = 1, groups }: { textColumns?: number; groups?: HeaderGroup[] } = {}): string {
  const cell = (tag: 'th' | 'td', text: string, i: number): string => `<${tag}${i >= textColumns ? ' class="n"' : ''}>${escape(text)}</${tag}>`;
  const groupRow = groups === undefined ? '' : `<tr>${groups.map((g) => `<th colspan="${g.span}" class="group">${escape(g.label)}</th>`).join('')}</tr>`;
  return `<table><thead>${groupRow}<tr>${header.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((c, i) => cell('td', c, i)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function stepCells(step: StepResult | undefined): string[] {
  if (step === undefined) return ['', '', '', ''];
  const server = (step.cpu.seconds.gateway ?? 0) + (step.cpu.seconds.nginx ?? 0) + (step.cpu.seconds['bare server'] ?? 0);
  return [
    kfmt(step.deliveriesPerSecond),
    `${fmt(step.latency.p50)} / ${fmt(step.latency.p99)} / ${fmt(step.latency.max, 0)}`,
    String(step.lost),
    `${fmt(server / step.cpu.wallS, 2)} / ${fmt((step.cpu.seconds['load client'] ?? 0) / step.cpu.wallS, 2)}`,
  ];
}

const STEP_COLUMNS = ['deliv/s', 'p50 / p99 / max ms', 'lost', 'cores srv / cli'];

function comparisonTable({ gateway, others }: Comparison): string {
  const rates = [...new Set([...gateway.steps, ...others.flatMap((o) => o.result?.steps ?? [])].map((s) => s.rate))];
  const rows = rates.map((rate) => {
    const behind = [gateway.steps, ...others.map((o) => o.result?.steps ?? [])].flat().some((s) => s.rate === rate && s.publisherBehind);
    return [`${rate}${behind ? ' *' : ''}`, ...stepCells(gateway.steps.find((s) => s.rate === rate)), ...others.flatMap((o) => stepCells(o.result?.steps.find((s) => s.rate === rate)))];
  });
  const groups = [{ label: '', span: 1 }, ...['gateway', ...others.map((o) => o.title)].map((label) => ({ label, span: STEP_COLUMNS.length }))];
  return htmlTable(['rate/s', ...groups.slice(1).flatMap(() => STEP_COLUMNS)], rows, { groups });
}

function targetsTable(results: BenchResults): string {
  const present = othersIn(results);
  const rows = goalRows(results).map((r) => [r.goal, r.gateway, verdict(results, r), ...present.map((o) => r.others[o.name] ?? '')]);
  return htmlTable(['goal', 'gateway', 'met?', ...present.map((o) => o.title)], rows, { textColumns: 3 + present.length });
}

function cpuTable(results: BenchResults): string {
  const names = [...new Set(results.targets.flatMap((t) => Object.keys(cpuTotals(results.scenarios, t.name))))];
  const rows = results.targets.map((t) => {
    const totals = cpuTotals(results.scenarios, t.name);
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    return [t.name, ...names.map((n) => (totals[n] === undefined ? '' : `${fmt(totals[n])} (${fmt((100 * totals[n]) / Math.max(all, 1e-9), 0)}%)`))];
  });
  return htmlTable(['run against', ...names], rows);
}

const STYLE = `body{font-family:sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;font-size:12px;margin:.5em 0;width:100%}
th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}th.n{white-space:normal;text-align:right}td.n{text-align:right;white-space:nowrap}th.group{text-align:center;border-left:2px solid #fff}
p.note{font-size:12px;margin:.3em 0;color:#333}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}section{margin:1.5em 0}`;

export function htmlReport(results: BenchResults): string {
  const sections = comparisons(results).map((c) => `<section><h3>${escape(c.title)}</h3>${latencyChart(c)}${comparisonTable(c)}</section>`);
  const resumes = resumeTables(results).map((t) =>
    `<section><h3>${escape(t.title)}</h3>${htmlTable(t.header, t.rows)}${t.notes.map((note) => `<p class="note">${escape(note)}</p>`).join('')}</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sse-gateway benchmark ${escape(results.startedAt)}</title>
<style>${STYLE}</style></head>
<body>
<h1>sse-gateway benchmark</h1>
<p>${escape(results.startedAt)}, ${results.mode} plan, ${results.durationS.toFixed(0)} s. Servers: ${results.targets.map((t) => escape(t.version)).join('; ')}.</p>
<p>Latency is publish time (taken by the publisher just before handing the event to its path) to the time the load client read it. Gateway paths: ${escape(pathLabel('sdk'))} (the publisher SDK into Redis) and ${escape(pathLabel('gateway-http'))}; Nchan and the bare node:http server get one HTTP POST per event. A rate marked * is one where a publisher could not keep the rate.</p>
<h2>Goals</h2>
<p>The goals in bench/README.md, judged within this run: most are ratios to Nchan and the bare node:http server measured beside the gateway. The gateway's latency goals hold on both publish paths; loss counts every path.</p>
${targetsTable(results)}
<h2>Scenarios</h2>
${sections.join('\n')}
${resumes.join('\n')}
<h2>CPU split over the run (CPU seconds)</h2>
${cpuTable(results)}
<details><summary>Every column, as printed in the terminal</summary><pre>${escape(terminalReport(results))}</pre></details>
</body></html>
`;
}
