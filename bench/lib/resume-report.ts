// The tables of the gateway-only scenarios, replay and storm, in one neutral shape that the
// terminal, Markdown and HTML reports each render their own way.
import { othersIn } from './report';
import type { BenchResults, ReplayResult, StormResult, StormStep, WitnessPhase } from './results';
import type { LatencySummary } from './histogram';

interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
  /** Lines under the table. */
  notes: string[];
}

const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const mb = (bytes: number): string => f(bytes / 2 ** 20, 0);
const latency = (l: LatencySummary): string => (l.count === 0 ? '–' : `${f(l.p50)} / ${f(l.p99)} / ${f(l.max, 0)}`);

/** Cores busy in the gateway(s) and in the clients' processes during a step. */
function cores(cpu: { wallS: number; seconds: Record<string, number> }, clients: string): string {
  const per = (name: string): string => f((cpu.seconds[name] ?? 0) / Math.max(cpu.wallS, 1e-9), 2);
  return `${per('gateway')} / ${per(clients)}`;
}

function notApplicable(results: BenchResults): string[] {
  const others = othersIn(results);
  return others.length === 0 ? [] : [`${others.map((o) => o.title).join(', ')}: n/a (no resume from a cursor; the scenario runs on the gateway only)`];
}

function witnessRow(name: string, phase: WitnessPhase): string[] {
  return [name, latency(phase.latency), `${phase.received}/${phase.published}`, String(phase.lost)];
}

export function replayTables(results: BenchResults, replay: ReplayResult): ReportTable[] {
  const problems = replay.readerProblems;
  const wrong = [
    problems.short > 0 ? `${problems.short} short` : '', problems.duplicated > 0 ? `${problems.duplicated} duplicated` : '',
    problems.disorder > 0 ? `${problems.disorder} out of order` : '', problems.failedConnects > 0 ? `${problems.failedConnects} failed to connect` : '',
  ].filter(Boolean);
  return [
    {
      title: `replay: the witness subscriber at ${replay.witnessRate} msg/s, alone and while ${replay.readers} readers resume ${replay.events} × ${f(replay.eventBytes / 1000, 0)} KB from earliest`,
      header: ['witness', 'p50 / p99 / max ms', 'received / published', 'lost'],
      rows: [witnessRow('alone (baseline)', replay.baseline), witnessRow('during the replays', replay.during)],
      notes: [],
    },
    {
      title: 'replay: the readers and the gateway',
      header: ['readers', 'complete', 'first connect → last done s', 'replayed MB', 'MB/s', 'RSS baseline MB', 'peak above baseline MB', 'slow-client disconnects', 'cores gw / readers'],
      rows: [[
        String(replay.readers), `${replay.readersComplete}/${replay.readers}`, f(replay.completionSeconds, 2), mb(replay.replayedBytes),
        f(replay.replayedBytes / 2 ** 20 / replay.completionSeconds, 0), mb(replay.rssBaselineBytes), mb(replay.rssPeakBytes - replay.rssBaselineBytes),
        replay.slowDisconnects === undefined ? '?' : String(replay.slowDisconnects), cores(replay.cpu, 'replay readers'),
      ]],
      notes: [...(wrong.length > 0 ? [`readers: ${wrong.join(', ')}${problems.errors.length > 0 ? ` (${problems.errors.join('; ')})` : ''}`] : []), ...notApplicable(results)],
    },
  ];
}

const rss = (step: StormStep): string => step.rssPeakBytes.map((peak, i) => `${mb(step.rssBeforeBytes[i]!)}→${mb(peak)}`).join(', ');

function stormRow(step: StormStep): string[] {
  return [
    step.label, String(step.moved), `${step.resumed}/${step.caughtUp}`, f(step.fromSignalSeconds, 2), `${f(step.resumedSeconds, 2)} / ${f(step.stormSeconds, 2)}`, f(step.pacedSeconds, 2),
    step.pacedSeconds > 0 && step.moved > 0 ? `${f(step.stormSeconds / step.pacedSeconds, 2)}×` : '–',
    `${step.lost} / ${step.duplicated}`, latency(step.stable), f(step.movedLatency.p99, 0), rss(step), step.perGateway.join(' / '),
  ];
}

export function stormTables(results: BenchResults, storm: StormResult): ReportTable[] {
  const c = storm.connect;
  const policy = storm.policy === 'eventsource' ? "each client waits exactly the stream's retry: (a browser's EventSource)" : "each client waits a full-jitter backoff on the stream's retry: (@sse-gateway/client)";
  const unsettled = storm.steps.filter((s) => s.unsettled > 0).map((s) => `${s.label}: ${s.unsettled} clients had not resumed and caught up when the step gave up`);
  const odd = storm.steps.filter((s) => s.gapNotices + s.refused > 0).map((s) =>
    `${s.label}: ${s.gapNotices} gateway.gap notices, ${s.refused} failed reconnects${s.refused > 0 ? ` (${Object.entries(s.refusals).sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} ${why}`).join(', ')})` : ''}`);
  return [{
    title: `storm: ${storm.clients} clients with cursors on ${storm.gateways} gateways (no load balancer), one channel at ${storm.rate} msg/s`,
    header: ['fault', 'moved', 'resumed / caught up', 'signal → all back s', 'storm s: all open / caught up', 'paced s', 'storm ÷ paced', 'lost / dup', 'others p50 / p99 / max ms', 'moved p99 ms', 'RSS MB per gateway, before→peak', 'streams per gateway after'],
    rows: storm.steps.map(stormRow),
    notes: [
      `paced connect: ${c.ok} clients in ${f(c.seconds, 2)} s (${f(c.perSecond, 0)}/s; ${c.perGateway.join(' / ')} per gateway)${c.failed > 0 ? `, ${c.failed} failed: ${c.errors.join(', ')}` : ''}; listen-queue overflows: ${c.listenOverflows}`,
      `listen-queue overflows during each fault (the kernel's TcpExt ListenOverflows, machine-wide): ${storm.steps.map((s) => `${s.label} ${s.listenOverflows}`).join(', ')}`,
      `reconnect: ${policy}, to the next gateway of a round robin without the one it left. storm s: first reconnect attempt → the last moved client's stream open / resumed and caught up; paced s: the paced connect's time for as many clients; others: latency of the clients that were not moved in that window; moved p99 includes the events replayed to the moved clients.`,
      `published ${storm.published} events${storm.publishFailed > 0 ? ` (${storm.publishFailed} failed)` : ''}; after the last fault ${storm.notBackAtEnd > 0 ? `${storm.notBackAtEnd} clients were still not back, and the others` : 'every client'} had all of them${storm.behindAtEnd > 0 ? ` except ${storm.behindAtEnd} events` : ''}`,
      ...unsettled,
      ...odd,
      ...notApplicable(results),
    ],
  }];
}

/** Every table of the replay and storm scenarios of a run, in run order. */
export function resumeTables(results: BenchResults): ReportTable[] {
  return results.scenarios.filter((s) => s.target === 'gateway').flatMap((s) => {
    const tables = [...(s.replay ? replayTables(results, s.replay) : []), ...(s.storm ? stormTables(results, s.storm) : [])];
    tables.at(-1)?.notes.push(...s.notes);
    return tables;
  });
}
