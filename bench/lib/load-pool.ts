// The load client as a whole: one child process per core, each with its share of the connections,
// their reports merged.
import { Child } from './children';
import { Histogram } from './histogram';
import type { LoadCommand, LoadReport, OpenCommand, OpenedReport, StatsReport, StreamTarget } from './messages';

interface OpenResult {
  ok: number;
  failed: number;
  errors: string[];
  /** From the first connection attempt to the last response headers, over all processes. */
  seconds: number;
}

export interface MergedStats {
  open: number;
  received: number;
  gaps: number;
  disorder: number;
  dropped: number;
  latency: Histogram;
}

type OpenOptions = Pick<OpenCommand, 'total' | 'channels' | 'concurrency' | 'timeoutMs'> & { target: StreamTarget };

export class LoadPool {
  private readonly clients: Child<LoadCommand, LoadReport>[];

  constructor(processes: number) {
    this.clients = Array.from({ length: processes }, (_, i) => new Child<LoadCommand, LoadReport>('load-client.ts', `load-client-${i}`));
  }

  pids(): number[] {
    return this.clients.map((client) => client.pid);
  }

  async open(options: OpenOptions): Promise<OpenResult> {
    const step = this.clients.length;
    const reports = await Promise.all(
      this.clients.map((client, first) => client.call({ t: 'open', first, step, ...options, concurrency: Math.max(1, Math.ceil(options.concurrency / step)) })),
    );
    const opened = reports.map((report) => expect<OpenedReport>(report, 'opened'));
    const start = Math.min(...opened.map((report) => report.startedAt));
    const end = Math.max(...opened.map((report) => report.lastOpenAt));
    return {
      ok: sum(opened.map((r) => r.ok)),
      failed: sum(opened.map((r) => r.failed)),
      errors: [...new Set(opened.flatMap((r) => r.errors))].slice(0, 5),
      seconds: (end - start) / 1000,
    };
  }

  async stats(reset: boolean): Promise<MergedStats> {
    const reports = (await Promise.all(this.clients.map((client) => client.call({ t: 'stats', reset })))).map((report) =>
      expect<StatsReport>(report, 'stats'),
    );
    const latency = new Histogram();
    for (const report of reports) latency.add(report.latency);
    return {
      open: sum(reports.map((r) => r.open)),
      received: sum(reports.map((r) => r.received)),
      gaps: sum(reports.map((r) => r.gaps)),
      disorder: sum(reports.map((r) => r.disorder)),
      dropped: sum(reports.map((r) => r.dropped)),
      latency,
    };
  }

  async closeConnections(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.call({ t: 'close' })));
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.stop()));
  }
}

function expect<T extends LoadReport>(report: LoadReport, kind: T['t']): T {
  if (report.t === 'error') throw new Error(`load client: ${report.message}`);
  if (report.t !== kind) throw new Error(`load client answered ${report.t} instead of ${kind}`);
  return report as T;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
