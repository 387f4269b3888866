// The soak's orchestrator: `npm run cluster`'s topology (Redis with AOF, three gateways, nginx),
// the publisher fleet, the clients in a few child processes, faults on a schedule, and the
// invariants — per event in the client processes, per quiet moment for connections and
// subscriptions, per process for memory and open files, and at the end for delivery.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createKeyspace, historyEntryOf } from '@sse-gateway/publisher/protocol';
import { startCluster, type LocalCluster } from '../../deploy/local/cluster';
import { Child } from '../../bench/lib/children';
import { onKillAll } from '../../bench/lib/proc';
import { Histogram } from '../../bench/lib/histogram';
import { settleClaims, type TrimClaim } from './channel-check';
import type { StatusRecord } from './client-kit';
import type { Call, ClientCommand, ClientCounters, ClientReport } from './client-messages';
import { checkFlatness, type Flatness, type ProcessSample } from './flatness';
import { runFault, type FaultContext } from './faults';
import { GatewayStreams } from './gateway-streams';
import { ProcessLogs } from './process-logs';
import { drawPopulation, LONG_HISTORY, type ChannelPlan, type PopulationOptions } from './population';
import { readProcess, scrapeGateway } from './probes';
import { quietCheck } from './quiet-check';
import { PublisherFleet } from './publishers';
import { judgeStatuses, type FaultKind, type FaultWindow } from './status-rules';
import { Tally, type TallyData } from './tally';

export const SCHEMAS_DIR = join(__dirname, '..', 'schemas');

export interface SoakOptions extends PopulationOptions {
  /** How long faults and traffic run, after the clients have connected. */
  durationMs: number;
  /** The faults, in order; spread over the duration (each starts once the previous one ended). */
  faults: readonly FaultKind[];
  /** Client processes (each holds its share of the clients). @default 2 */
  processes?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** A folder for every process's output (`<name>-<pid>.log`); default: not kept. */
  logDir?: string;
}

export interface TimePoint {
  /** Seconds since the soak started. */
  t: number;
  rssMiB: Record<string, number>;
  connections: Record<string, number>;
  p50: number;
  p99: number;
  deliveredPerS: number;
}

interface FaultRecord extends FaultWindow {
  what: string;
}

export interface SoakReport {
  startedAt: string;
  options: Omit<SoakOptions, 'log'>;
  durationS: number;
  tally: TallyData;
  checks: number;
  violations: number;
  faults: FaultRecord[];
  quietChecks: number;
  counters: ClientCounters & { published: number; publishRetries: number; statuses: number };
  /** Error answers clients and publishers got, by `status code`. */
  errorAnswers: Record<string, number>;
  latency: { p50: number; p99: number; max: number; count: number };
  flatness: Flatness[];
  timeline: TimePoint[];
  gatewayOddLines: string[];
}

const SAMPLE_MS = 2000;
/** Gateway settings of a soak: quick reconnects and heartbeats, long history, short drains. */
const GATEWAY_ENV = {
  RETRY_MS: '500',
  HEARTBEAT_MS: '5000',
  HISTORY_MAXLEN: String(LONG_HISTORY),
  SCHEMAS_DIR,
  SHUTDOWN_GRACE_MS: '5000',
  CLIENT_BUFFER_BYTES: '262144',
  LOG_LEVEL: 'info',
};
const FINISH_MS = 90_000;

type ClientChild = Child<ClientCommand, ClientReport>;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const startedAt = Date.now();
  const population = drawPopulation(options);
  const streams = new GatewayStreams();
  const tally = new Tally();
  log(`starting Redis (AOF), 3 gateways and nginx`);
  const files = options.logDir === undefined ? undefined : new ProcessLogs(options.logDir);
  const cluster = await startCluster({
    demo: false,
    gatewayEnv: GATEWAY_ENV,
    onLine: (name, line, pid) => {
      streams.onLine(name, line, pid);
      files?.write(name, pid, line);
    },
  });
  // Ctrl-C (the CLI's runFinalizers): nothing of the cluster may outlive the soak.
  const forget = onKillAll(() => killCluster(cluster));
  const admin = new Redis(cluster.redisUrl, { maxRetriesPerRequest: 2 });
  const statuses: StatusRecord[] = [];
  const fleet = new PublisherFleet(population.channels, {
    redisUrl: cluster.redisUrl, baseUrl: cluster.url, jwtSecret: cluster.jwtSecret, schemasDir: SCHEMAS_DIR, tally, onStatus: (r) => {
      statuses.push(r);
      run.count([r]);
    },
  });
  const children: ClientChild[] = Array.from({ length: options.processes ?? 2 }, (_, i) => new Child<ClientCommand, ClientReport>('../../soak/lib/client-process.ts', `soak-clients-${i}`));
  const call = async <T extends ClientReport['t']>(command: ClientCommand, kind: T): Promise<Extract<ClientReport, { t: T }>[]> =>
    (await Promise.all(children.map((child) => child.call(command)))).map((report) => expectReport(report, kind));
  const run = new SoakRun(cluster, admin, streams, tally, population.channels, call, log);
  try {
    fleet.start();
    const lb = new URL(cluster.url);
    const share = <T>(items: T[], i: number): T[] => items.filter((_, k) => k % children.length === i);
    log(`opening ${population.raw.length} raw and ${population.library.length} library clients in ${children.length} processes`);
    const started = await Promise.all(children.map((child, i) => child.call({
      t: 'start', host: lb.hostname, port: Number(lb.port), jwtSecret: cluster.jwtSecret, retryMs: Number(GATEWAY_ENV.RETRY_MS),
      heartbeatMs: Number(GATEWAY_ENV.HEARTBEAT_MS), raw: share(population.raw, i), library: share(population.library, i), concurrency: 40,
    })));
    const opened = started.map((r) => expectReport(r, 'started')).reduce((sum, r) => sum + r.open, 0);
    log(`${opened} clients open; soaking for ${(options.durationMs / 1000).toFixed(0)} s with ${options.faults.length} faults`);
    const sampler = run.sample(statuses);
    await run.quietCheck('start');
    const soakStart = Date.now();
    const slot = options.durationMs / (options.faults.length + 1);
    for (const [i, kind] of options.faults.entries()) {
      await sleepUntil(soakStart + slot * (i + 1));
      await run.fault(kind);
      await run.quietCheck(`after ${kind}`);
    }
    await sleepUntil(soakStart + options.durationMs);
    await run.quietCheck('end');
    log('stopping the publishers; waiting for every client to hold the last event of its channels');
    await fleet.stop();
    await run.finish();
    run.stopSampling();
    await sampler;
    judgeStatuses(statuses.splice(0), run.windows, tally);
    const flatness = checkFlatness(run.processSamples, tally);
    return run.report(startedAt, options, flatness, fleet);
  } finally {
    run.stopSampling();
    await Promise.all(children.map((child) => child.call({ t: 'stop' }).catch(() => undefined)));
    await Promise.all(children.map((child) => child.stop()));
    await fleet.stop().catch(() => undefined);
    admin.disconnect();
    await cluster.stop();
    files?.close();
    forget();
  }
}

/** Synchronous last resort: nginx's master stops its workers on SIGTERM; the rest are killed. */
function killCluster(cluster: LocalCluster): void {
  const signal = (pid: number, name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal(cluster.lb.pid, 'SIGTERM');
  for (const gateway of cluster.gateways) signal(gateway.process.pid, 'SIGKILL');
  signal(cluster.redis.pid, 'SIGKILL');
}

function expectReport<T extends ClientReport['t']>(report: ClientReport, kind: T): Extract<ClientReport, { t: T }> {
  if (report.t === 'error') throw new Error(`soak client process: ${report.message}`);
  if (report.t !== kind) throw new Error(`soak client process answered ${report.t} instead of ${kind}`);
  return report as Extract<ClientReport, { t: T }>;
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}


/** The state of one soak while it runs. */
class SoakRun {
  readonly windows: FaultRecord[] = [];
  readonly processSamples = new Map<number, { name: string; samples: ProcessSample[] }>();
  readonly timeline: TimePoint[] = [];
  readonly latency = new Histogram();
  counters: ClientCounters = { open: 0, expiries: 0, reconnects: 0, hangups: 0, replayQuits: 0, aways: 0, delivered: 0, gaps: 0 };
  quietChecks = 0;
  statusCount = 0;
  readonly errorAnswers: Record<string, number> = {};
  private sampling = true;
  private readonly started = Date.now();
  private readonly keyspace = createKeyspace();

  constructor(
    private readonly cluster: LocalCluster,
    private readonly admin: Redis,
    private readonly streams: GatewayStreams,
    private readonly tally: Tally,
    private readonly channels: readonly ChannelPlan[],
    private readonly call: Call,
    private readonly log: (line: string) => void,
  ) {}

  stopSampling(): void {
    this.sampling = false;
  }

  /** Every SAMPLE_MS: the clients' tallies and latencies, each gateway's memory, files, connections. */
  async sample(statuses: StatusRecord[]): Promise<void> {
    let lastDelivered = 0;
    let lastAt = Date.now();
    while (this.sampling) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const reports = await this.call({ t: 'stats' }, 'stats').catch(() => []);
      const latency = new Histogram();
      const counters: ClientCounters = { open: 0, expiries: 0, reconnects: 0, hangups: 0, replayQuits: 0, aways: 0, delivered: 0, gaps: 0 };
      for (const report of reports) {
        this.tally.add(report.tally);
        statuses.push(...report.statuses);
        this.count(report.statuses);
        latency.add(report.latency);
        for (const key of Object.keys(counters) as (keyof ClientCounters)[]) counters[key] += report.counters[key];
      }
      this.latency.add(latency.toData());
      this.counters = counters;
      // Judge what is old enough that its fault window (and grace) is known.
      const settled = statuses.filter((s) => s.at < Date.now() - 6000 && !this.faultRunning);
      if (settled.length > 0) {
        judgeStatuses(settled, this.windows, this.tally);
        statuses.splice(0, statuses.length, ...statuses.filter((s) => !settled.includes(s)));
      }
      const now = Date.now();
      const point: TimePoint = {
        t: (now - this.started) / 1000, rssMiB: {}, connections: {}, p50: latency.quantile(0.5), p99: latency.quantile(0.99),
        deliveredPerS: ((counters.delivered - lastDelivered) * 1000) / Math.max(1, now - lastAt),
      };
      lastDelivered = counters.delivered;
      lastAt = now;
      for (const gateway of this.cluster.gateways) {
        const pid = gateway.process.pid;
        const reading = gateway.process.isRunning() ? readProcess(pid) : undefined;
        const metrics = reading === undefined ? undefined : await scrapeGateway(gateway.url);
        if (reading === undefined || metrics === undefined) continue;
        point.rssMiB[gateway.name] = reading.rss / 1048576;
        point.connections[gateway.name] = metrics.connections;
        let entry = this.processSamples.get(pid);
        if (entry === undefined) this.processSamples.set(pid, (entry = { name: gateway.name, samples: [] }));
        entry.samples.push({ t: now, rss: reading.rss, fds: reading.fds, connections: metrics.connections });
      }
      this.timeline.push(point);
    }
  }

  count(records: readonly StatusRecord[]): void {
    this.statusCount += records.length;
    for (const r of records) {
      const key = `${r.status} ${r.code || '(load balancer)'} ${r.what}${r.tokenExpired === true ? ' (token expired meanwhile)' : ''}`;
      this.errorAnswers[key] = (this.errorAnswers[key] ?? 0) + 1;
    }
  }

  private get faultRunning(): boolean {
    return this.windows.some((w) => w.end === Number.POSITIVE_INFINITY);
  }

  async fault(kind: FaultKind): Promise<void> {
    const window: FaultRecord = { kind, start: Date.now(), end: Number.POSITIVE_INFINITY, what: '' };
    this.windows.push(window);
    const context: FaultContext = {
      cluster: this.cluster,
      admin: this.admin,
      hangups: async (count) => {
        await this.call({ t: 'hangups', count, channels: this.channels.map((c) => c.name) }, 'ok');
      },
      allReady: () => this.allReady(),
      gone: (pid) => this.streams.forget(pid),
    };
    try {
      window.what = await runFault(kind, context);
    } finally {
      window.end = Date.now();
    }
    this.log(`fault: ${window.what} (${((window.end - window.start) / 1000).toFixed(1)} s)`);
  }

  private async allReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await Promise.all(this.cluster.gateways.map((g) => fetch(`${g.url}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false)));
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('gateways not ready 30 s after a fault');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async quietCheck(label: string): Promise<void> {
    this.quietChecks++;
    await quietCheck({ cluster: this.cluster, admin: this.admin, streams: this.streams, tally: this.tally, call: this.call, log: this.log }, label);
  }

  /** After publishing stopped: every client must come to hold each channel's last stored event. */
  async finish(): Promise<void> {
    const last = new Map<string, { id: string; seq: number }>();
    for (const channel of this.channels) {
      const [entry] = await this.admin.xrevrange(this.keyspace.historyKey(channel.name), '+', '-', 'COUNT', 1);
      if (entry === undefined) continue;
      const stored = historyEntryOf(entry[0], entry[1]);
      const seq = stored === undefined ? 0 : ((JSON.parse(stored.envelope) as { data?: { seq?: number } }).data?.seq ?? 0);
      last.set(channel.name, { id: entry[0], seq });
    }
    const lastIds = Object.fromEntries([...last].map(([name, { id }]) => [name, id]));
    const reports = await this.call({ t: 'finish', lastIds, timeoutMs: FINISH_MS }, 'finished');
    const claims: TrimClaim[] = [];
    for (const report of reports) {
      this.tally.add(report.tally);
      claims.push(...report.claims);
    }
    const maxLen = new Map(this.channels.map((c) => [c.name, c.maxLen]));
    settleClaims(claims, (channel) => last.get(channel)?.seq ?? 0, (channel) => maxLen.get(channel) ?? LONG_HISTORY, this.tally);
    this.log(`finished: ${reports.reduce((sum, r) => sum + r.behind, 0)} client channels behind; ${claims.length} gaps settled against trimmed history`);
  }

  report(startedAt: number, options: SoakOptions, flatness: Flatness[], fleet: PublisherFleet): SoakReport {
    const { log: _log, logDir: _logDir, ...rest } = options;
    const data = this.tally.snapshot;
    const summary = this.latency.summary();
    return {
      startedAt: new Date(startedAt).toISOString(),
      options: rest,
      durationS: (Date.now() - startedAt) / 1000,
      tally: { checks: { ...data.checks }, violations: { ...data.violations }, examples: [...data.examples] },
      checks: this.tally.totalChecks,
      violations: this.tally.totalViolations,
      faults: this.windows,
      quietChecks: this.quietChecks,
      counters: { ...this.counters, published: fleet.published, publishRetries: fleet.retries, statuses: this.statusCount },
      errorAnswers: this.errorAnswers,
      latency: { p50: summary.p50, p99: summary.p99, max: summary.max, count: summary.count },
      flatness,
      timeline: this.timeline,
      gatewayOddLines: this.streams.oddLines,
    };
  }
}
