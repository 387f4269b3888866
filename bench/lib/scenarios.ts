// The three scenarios, run the same way against any target: idle connections, broadcast to one
// channel at rising rates, and many channels with one subscriber each.
import type { Child } from './children';
import type { LoadPool, MergedStats } from './load-pool';
import type { PublisherCommand, PublisherDone, PublisherReport, PublishMode } from './messages';
import type { Plan } from './plan';
import { cpuMeter, sleep, type ProcessGroups } from './proc';
import type { Progress } from './progress';
import type { BenchRedis } from './redis';
import type { IdleResult, ScenarioResult, StepResult } from './results';
import { SCHEMAS_DIR, type ServerStats, type Target } from './targets';

export interface Context {
  plan: Plan;
  target: Target;
  load: LoadPool;
  publisher: Child<PublisherCommand, PublisherReport>;
  redis: BenchRedis;
  progress: Progress;
  groups: ProcessGroups;
  /** Publish paths the progress bar counted on for each ladder (corrected once the server says). */
  expectedPaths: number;
}

export const CONNECT_CONCURRENCY = 400;
export const CONNECT_TIMEOUT_MS = 30_000;
/** Subscriptions settle (the server's Redis SUBSCRIBE) before the first event. */
export const SETTLE_MS = 1000;
/** A step's deliveries are complete when all arrived, or nothing arrived for this long. */
const QUIET_MS = 3000;
const DRAIN_LIMIT_MS = 20_000;
const WARM_UP_MS = 1000;
const MIN_STEPS = 2;

type Channels = { mode: 'one'; name: string } | { mode: 'each'; prefix: string; count: number };

/** Fresh server (and empty Redis) around one scenario; connections closed afterwards. */
export async function withServer<T>(context: Context, tag: string, body: () => Promise<T>): Promise<T> {
  await context.redis.flush();
  await context.target.start(tag);
  try {
    return await body();
  } finally {
    await context.load.closeConnections();
    await context.target.stop();
  }
}

export async function connect(context: Context, total: number, channels: Channels, status: string): Promise<{ ok: number; failed: number; errors: string[]; seconds: number }> {
  context.progress.show(`${context.target.name}: ${status}: opening ${total} connections`);
  const opened = await context.load.open({
    target: context.target.stream(),
    total,
    channels: channels.mode === 'one' ? channels : { mode: 'each', prefix: channels.prefix },
    concurrency: CONNECT_CONCURRENCY,
    timeoutMs: CONNECT_TIMEOUT_MS,
  });
  return opened;
}

export async function idleScenario(context: Context, connections: number): Promise<ScenarioResult> {
  const { target } = context;
  const result: ScenarioResult = { target: target.name, scenario: 'idle', label: `idle ${connections}`, steps: [], notes: [] };
  await withServer(context, `idle-${connections}`, async () => {
    await sleep(SETTLE_MS);
    const rssBefore = target.rss();
    const meter = cpuMeter(context.groups);
    const opened = await connect(context, connections, { mode: 'one', name: 'bench-idle' }, `idle ${connections}`);
    const cpu = meter();
    // Let the server finish its bookkeeping, then read its memory.
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline && ((await target.serverConnections()) ?? opened.ok) < opened.ok) await sleep(100);
    await sleep(2000);
    const rssAfter = target.rss();
    const idle: IdleResult = {
      kind: 'idle', connections, ok: opened.ok, failed: opened.failed, errors: opened.errors,
      connectSeconds: opened.seconds, connectsPerSecond: opened.ok / Math.max(opened.seconds, 1e-6),
      rssBeforeBytes: rssBefore, rssAfterBytes: rssAfter, rssPerConnectionBytes: opened.ok > 0 ? (rssAfter - rssBefore) / opened.ok : 0,
      cpu,
    };
    result.idle = idle;
    if (opened.failed > 0) result.notes.push(`${opened.failed} connections failed: ${opened.errors.join(', ')}`);
  });
  context.progress.tick();
  return result;
}

export async function broadcastScenario(context: Context, subscribers: number, rates: number[]): Promise<ScenarioResult[]> {
  const channels: Channels = { mode: 'one', name: `bench-b${subscribers}` };
  return ladderScenario(context, 'broadcast', `broadcast ${subscribers} subs`, subscribers, channels, rates, false);
}

export async function channelsScenario(context: Context, count: number, rates: number[], max: boolean): Promise<ScenarioResult[]> {
  const channels: Channels = { mode: 'each', prefix: 'bench-c', count };
  return ladderScenario(context, 'channels', `channels ${count}×1`, count, channels, rates, max);
}

/** One server start; for each publish path, the rising rates on the same open connections. */
async function ladderScenario(
  context: Context, scenario: 'broadcast' | 'channels', label: string, connections: number, channels: Channels, rates: number[], max: boolean,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  await withServer(context, `${scenario}-${connections}`, async () => {
    const opened = await connect(context, connections, channels, label);
    const paths = await context.target.publishPaths();
    const notes = opened.failed > 0 ? [`${opened.failed} of ${connections} connections failed to open: ${opened.errors.join(', ')}`] : [];
    await sleep(SETTLE_MS);
    const ladderLength = rates.length + (max ? 1 : 0);
    context.progress.addTotal((paths.length - context.expectedPaths) * ladderLength);
    for (const path of paths) {
      const result: ScenarioResult = { target: context.target.name, scenario, label: `${label}, ${pathLabel(path.mode, context.target.name)}`, steps: [], notes: [...notes] };
      results.push(result);
      await initPublisher(context, path, channels);
      await warmUp(context, rates[0] ?? 10, scenario === 'broadcast' ? opened.ok : 1, label);
      const ladder: (number | 'max')[] = [...rates, ...(max ? (['max'] as const) : [])];
      for (const rate of ladder) {
        if (result.stoppedBecause !== undefined && rate !== 'max') {
          context.progress.tick();
          continue;
        }
        const perEvent = scenario === 'broadcast' ? opened.ok : 1;
        const key: StepKey = { scenario, subscribers: opened.ok, channels: scenario === 'broadcast' ? 1 : connections, path: path.mode, rate };
        let step = await runStep(context, key, perEvent, label);
        if (rate !== 'max' && step.lost === 0 && step.latency.p99 > context.plan.p99LimitMs) {
          // Client and server share 2 cores (and other work on the machine): a latency spike is
          // confirmed by a second run before it ends the ladder. Both runs are kept in the JSON.
          const first = step;
          step = await runStep(context, key, perEvent, `${label} (again)`);
          step.firstAttempt = { latency: first.latency, lost: first.lost, deliveriesPerSecond: first.deliveriesPerSecond };
        }
        result.steps.push(step);
        context.progress.tick();
        // The first two rates always run (10k subscribers: 1 and 10 msg/s are both targets).
        if (result.stoppedBecause === undefined && rate !== 'max' && result.steps.length >= MIN_STEPS) {
          if (step.lost > 0) result.stoppedBecause = `loss at ${rate}/s`;
          else if (step.latency.p99 > context.plan.p99LimitMs) result.stoppedBecause = `p99 ${step.latency.p99.toFixed(0)} ms > ${context.plan.p99LimitMs} ms at ${rate}/s`;
        }
        if (step.droppedConnections > 0 || (await context.load.stats(false)).open < opened.ok * 0.99) {
          result.notes.push(`connections were dropped by the server at ${rate}/s: the ladder ends here`);
          return;
        }
      }
    }
  });
  return results;
}

export function pathLabel(mode: PublishMode, target = 'nchan'): string {
  if (mode === 'sdk') return 'SDK→Redis';
  if (mode === 'gateway-http') return 'POST /v1/publish';
  return target === 'bare' ? 'POST /pub' : 'Nchan HTTP publisher';
}

export async function initPublisher(context: Context, path: { mode: PublishMode; baseUrl: string; token?: string }, channels: Channels, historyMaxLen?: number): Promise<void> {
  const reply = await context.publisher.call({
    t: 'init', mode: path.mode, redisUrl: context.redis.url, schemasDir: SCHEMAS_DIR, baseUrl: path.baseUrl, token: path.token, channels, padBytes: context.plan.padBytes, historyMaxLen,
  });
  if (reply.t !== 'ready') throw new Error(`publisher: ${reply.t === 'error' ? reply.message : reply.t}`);
}

/** JIT, connection pools and first subscriptions warm up on a short unrecorded run (same for every target). */
async function warmUp(context: Context, rate: number, deliveriesPerEvent: number, label: string): Promise<void> {
  context.progress.show(`${context.target.name}: ${label}: warming up`);
  const reply = await context.publisher.call({ t: 'run', rate, durationMs: WARM_UP_MS });
  if (reply.t !== 'done') throw new Error(`publisher: ${reply.t === 'error' ? reply.message : reply.t}`);
  await drain(context, reply.published * deliveriesPerEvent, performance.now(), label, 'warm-up');
}

type StepKey = Pick<StepResult, 'scenario' | 'subscribers' | 'channels' | 'path' | 'rate'>;

async function runStep(context: Context, key: StepKey, deliveriesPerEvent: number, label: string): Promise<StepResult> {
  const { progress, load } = context;
  const rateText = key.rate === 'max' ? 'max rate' : `${key.rate}/s`;
  progress.show(`${context.target.name}: ${label}, ${pathLabel(key.path, context.target.name)}, ${rateText}`);
  await load.stats(true);
  const redisKills = await context.redis.outputBufferDisconnects();
  const serverBefore = await context.target.serverStats?.(); // also starts a new event-loop-lag window
  const meter = cpuMeter(context.groups);
  const started = performance.now();
  const reply = await context.publisher.call({ t: 'run', rate: key.rate, durationMs: context.plan.stepMs });
  if (reply.t !== 'done') throw new Error(`publisher: ${reply.t === 'error' ? reply.message : reply.t}`);
  const done: PublisherDone = reply;
  const expected = done.published * deliveriesPerEvent;
  const { stats, lastDeliveryMs } = await drain(context, expected, started, label, rateText);
  const cpu = meter();
  const redisSubscriberKills = (await context.redis.outputBufferDisconnects()) - redisKills;
  const serverAfter = await context.target.serverStats?.();
  const activeS = Math.max(lastDeliveryMs - started, done.wallMs) / 1000;
  return {
    kind: 'step', ...key,
    published: done.published, publishFailed: done.failed, publishErrors: done.errors,
    publisherBehind: done.behindTicks > 0 && key.rate !== 'max',
    publishedPerSecond: done.published / (done.wallMs / 1000),
    expected, delivered: stats.received, lost: Math.max(0, expected - stats.received),
    gaps: stats.gaps, disorder: stats.disorder, droppedConnections: stats.dropped, redisSubscriberKills,
    ...(serverBefore && serverAfter ? { server: serverDelta(serverBefore, serverAfter) } : {}),
    deliveriesPerSecond: stats.received / activeS,
    latency: stats.latency.summary(), cdf: stats.latency.cdf(),
    cpu,
  };
}

function serverDelta(before: ServerStats, after: ServerStats): NonNullable<StepResult['server']> {
  const gcMs: Record<string, number> = {};
  for (const [kind, seconds] of Object.entries(after.gcSeconds)) gcMs[kind] = (seconds - (before.gcSeconds[kind] ?? 0)) * 1000;
  return { gcMs, eventLoopLagMaxMs: after.eventLoopLagMaxMs, eventLoopLagP99Ms: after.eventLoopLagP99Ms };
}

/** Waits until every expected delivery arrived or deliveries stopped; then takes (and resets) the stats. */
export async function drain(context: Context, expected: number, started: number, label: string, rateText: string): Promise<{ stats: MergedStats; lastDeliveryMs: number }> {
  let last = -1;
  let lastChange = performance.now();
  const deadline = performance.now() + DRAIN_LIMIT_MS;
  for (;;) {
    const { received } = await context.load.stats(false);
    const now = performance.now();
    if (received !== last) {
      last = received;
      lastChange = now;
    }
    context.progress.show(`${context.target.name}: ${label}, ${rateText}: ${received}/${expected} delivered`);
    if (received >= expected || now - lastChange > QUIET_MS || now > deadline) break;
    await sleep(100);
  }
  const stats = await context.load.stats(true);
  return { stats, lastDeliveryMs: Math.max(started, lastChange) };
}
