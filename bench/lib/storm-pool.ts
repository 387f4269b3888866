// The storm's clients as a whole: one storm-client process per core, each with its share of the
// clients, their reports merged.
import { Child } from './children';
import { Histogram } from './histogram';
import type { OpenedReport, StormCommand, StormOpenCommand, StormReport, StormStatsReport } from './messages';
import { mergeCounts, type WindowCounts } from './storm-book';

export interface StormStats {
  clients: number;
  open: number;
  unsettled: number;
  counts: WindowCounts;
  stable: Histogram;
  moved: Histogram;
  perGateway: number[];
  maxSeq: number;
  behind: number;
}

type OpenOptions = Omit<StormOpenCommand, 't' | 'first' | 'step'>;

export class StormPool {
  private readonly clients: Child<StormCommand, StormReport>[];

  constructor(processes: number) {
    this.clients = Array.from({ length: processes }, (_, i) => new Child<StormCommand, StormReport>('storm-client.ts', `storm-client-${i}`));
  }

  pids(): number[] {
    return this.clients.map((client) => client.pid);
  }

  /** The paced connect: every client once, `concurrency` attempts in flight over all processes. */
  async open(options: OpenOptions): Promise<{ ok: number; failed: number; errors: string[]; seconds: number }> {
    const step = this.clients.length;
    const reports = await Promise.all(
      this.clients.map((client, first) => client.call({ t: 'open', first, step, ...options, concurrency: Math.max(1, Math.ceil(options.concurrency / step)) })),
    );
    const opened = reports.map((report) => expect<OpenedReport>(report, 'opened'));
    return {
      ok: opened.reduce((sum, r) => sum + r.ok, 0),
      failed: opened.reduce((sum, r) => sum + r.failed, 0),
      errors: [...new Set(opened.flatMap((r) => r.errors))].slice(0, 5),
      seconds: (Math.max(...opened.map((r) => r.lastOpenAt)) - Math.min(...opened.map((r) => r.startedAt))) / 1000,
    };
  }

  /** Starts a measurement window: counts and latencies from zero, no client moved yet. */
  async window(): Promise<void> {
    await Promise.all(this.clients.map(async (client) => expect(await client.call({ t: 'window' }), 'window')));
  }

  async stats(finalSeq?: number): Promise<StormStats> {
    const reports = (await Promise.all(this.clients.map((client) => client.call({ t: 'stats', finalSeq })))).map((r) => expect<StormStatsReport>(r, 'storm-stats'));
    const stable = new Histogram();
    const moved = new Histogram();
    for (const report of reports) {
      stable.add(report.stable);
      moved.add(report.moved);
    }
    const sum = (pick: (r: StormStatsReport) => number): number => reports.reduce((total, r) => total + pick(r), 0);
    return {
      clients: sum((r) => r.clients),
      open: sum((r) => r.open),
      unsettled: sum((r) => r.unsettled),
      counts: mergeCounts(reports.map((r) => r.counts)),
      stable,
      moved,
      perGateway: reports[0]!.perGateway.map((_, i) => sum((r) => r.perGateway[i] ?? 0)),
      maxSeq: Math.max(...reports.map((r) => r.maxSeq)),
      behind: sum((r) => r.behind),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map(async (client) => expect(await client.call({ t: 'close' }), 'closed')));
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.stop()));
  }
}

function expect<T extends StormReport>(report: StormReport, kind: T['t']): T {
  if (report.t === 'error') throw new Error(`storm client: ${report.message}`);
  if (report.t !== kind) throw new Error(`storm client answered ${report.t} instead of ${kind}`);
  return report as T;
}
