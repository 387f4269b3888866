// The storm scenario (gateway only): clients with cursors on several gateways, connected straight
// to their ports, on one channel with a steady publish rate. (a) The paced connect of all of them;
// (b) one gateway SIGKILLed: its clients resume at once on the others; (c) it is started again, then
// every gateway in turn gets SIGTERM and is started again once the others have its clients. Each
// fault: time until every moved client has resumed and caught up, loss and duplicates (checked per
// client across reconnects), the latency of the clients that stayed, and each gateway's peak RSS.
import os from 'node:os';
import type { Fleet } from './fleet';
import { initPublisher, CONNECT_CONCURRENCY, CONNECT_TIMEOUT_MS, type Context } from './scenarios';
import { startPacer, type Pacer } from './pacer';
import { cpuMeter, listenOverflows, sleep } from './proc';
import type { ScenarioResult, StormResult, StormStep } from './results';
import type { ReconnectPolicy } from './storm-book';
import { StormPool, type StormStats } from './storm-pool';

const CHANNEL = 'bench-storm';
const STORM_HISTORY = 1000;
/** A fault's clients must all have resumed and caught up within this, or the step says how many did not. */
const STEP_LIMIT_MS = 90_000;
const POLL_MS = 100;
/** After a gateway has exited, its clients' closes have surely reached them by then. */
const CLOSE_NOTICE_MS = 1000;
/** Deliveries settle after the publisher stops: every client at the last event, or this long. */
const FINAL_LIMIT_MS = 15_000;

/** The storm's steps, for the progress bar: connect, SIGKILL, restart, and one per rolling restart. */
export const stormUnits = (gateways: number): number => 3 + gateways;

interface Fault {
  label: string;
  signal: 'SIGKILL' | 'SIGTERM';
  gateway: number;
  /** Takes the gateway down (resolves once it has exited) and, for a rolling restart, starts it again. */
  act(): Promise<void>;
}

function ready(stats: StormStats, sinceQuiet: number): boolean {
  return stats.unsettled === 0 && stats.open === stats.clients && (stats.counts.moved > 0 || sinceQuiet > CLOSE_NOTICE_MS);
}

/** One fault, measured from its signal until every moved client is back and caught up. */
async function measureFault(context: Context, pool: StormPool, fleet: Fleet, pacedPerSecond: number, fault: Fault): Promise<StormStep> {
  await pool.window();
  const count = fleet.ports.length;
  const rssBefore = Array.from({ length: count }, (_, i) => fleet.rss(i));
  const rssPeak = [...rssBefore];
  const sampler = setInterval(() => rssBefore.forEach((_, i) => (rssPeak[i] = Math.max(rssPeak[i]!, fleet.rss(i)))), POLL_MS);
  const meter = cpuMeter({ ...context.groups, gateway: () => fleet.pids(), 'storm clients': () => pool.pids() });
  const overflowsBefore = listenOverflows();
  const signalAt = performance.timeOrigin + performance.now();
  let actedAt: number | undefined;
  const acting = fault.act().then(() => (actedAt = performance.now()));
  const deadline = performance.now() + STEP_LIMIT_MS;
  let stats = await pool.stats();
  for (;;) {
    context.progress.show(`gateway: storm: ${fault.label}: ${stats.counts.resumed}/${stats.counts.moved} moved clients resumed, ${stats.counts.caughtUp} caught up`);
    if (actedAt !== undefined && ready(stats, performance.now() - actedAt)) break;
    if (performance.now() > deadline) break;
    await sleep(POLL_MS);
    stats = await pool.stats();
  }
  await acting;
  clearInterval(sampler);
  const { counts } = stats;
  const last = Math.max(counts.lastCaughtUpAt, counts.lastResumedAt);
  return {
    label: fault.label, signal: fault.signal, gateway: fault.gateway + 1,
    moved: counts.moved, resumed: counts.resumed, caughtUp: counts.caughtUp, unsettled: stats.unsettled,
    fromSignalSeconds: counts.moved > 0 ? (last - signalAt) / 1000 : 0,
    stormSeconds: counts.moved > 0 && counts.firstAttemptAt > 0 ? (last - counts.firstAttemptAt) / 1000 : 0,
    resumedSeconds: counts.moved > 0 && counts.firstAttemptAt > 0 ? (counts.lastResumedAt - counts.firstAttemptAt) / 1000 : 0,
    pacedSeconds: counts.moved / pacedPerSecond,
    lost: counts.lost, duplicated: counts.duplicated, gapNotices: counts.gapNotices, refused: counts.refused, refusals: counts.refusals,
    listenOverflows: listenOverflows() - overflowsBefore,
    stable: stats.stable.summary(), movedLatency: stats.moved.summary(),
    rssBeforeBytes: rssBefore, rssPeakBytes: rssPeak, perGateway: stats.perGateway,
    cpu: meter(),
  };
}

/** Waits until every client is open and has the publisher's last event (or the limit). */
async function settle(context: Context, pool: StormPool, finalSeq: number): Promise<{ behind: number; notBack: number }> {
  const deadline = performance.now() + FINAL_LIMIT_MS;
  for (;;) {
    const stats = await pool.stats(finalSeq);
    const notBack = stats.clients - stats.open;
    if ((stats.behind === 0 && notBack === 0) || performance.now() > deadline) return { behind: stats.behind, notBack };
    context.progress.show(`gateway: storm: ${stats.behind} events on their way, ${notBack} clients not back`);
    await sleep(POLL_MS);
  }
}

export async function stormScenario(context: Context, policy: ReconnectPolicy): Promise<ScenarioResult> {
  const { target, plan, progress } = context;
  const { clients, gateways, rate } = plan.storm;
  const result: ScenarioResult = { target: target.name, scenario: 'storm', label: `storm ${clients} on ${gateways}`, steps: [], notes: [] };
  if (!target.fleet) throw new Error(`the storm runs on the gateway only, not on ${target.name}`);
  await context.redis.flush();
  progress.show(`gateway: storm: starting ${gateways} gateways`);
  const fleet = await target.fleet(gateways, 'storm');
  const pool = new StormPool(Math.max(1, os.cpus().length));
  let pacer: Pacer | undefined;
  try {
    progress.show(`gateway: storm: opening ${clients} connections on ${gateways} gateways`);
    const meter = cpuMeter({ ...context.groups, gateway: () => fleet.pids(), 'storm clients': () => pool.pids() });
    const overflowsBefore = listenOverflows();
    const opened = await pool.open({
      hosts: target.stream().hosts, ports: fleet.ports, total: clients, channel: CHANNEL, jwtSecret: fleet.jwtSecret,
      concurrency: CONNECT_CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS, policy,
    });
    meter();
    const connectOverflows = listenOverflows() - overflowsBefore;
    if (opened.failed > 0) result.notes.push(`${opened.failed} of ${clients} clients failed to connect: ${opened.errors.join(', ')}`);
    const pacedPerSecond = opened.ok / Math.max(opened.seconds, 1e-6);
    progress.tick();

    // The product's default history (1,000 events: over 8 minutes at this rate) covers every fault.
    await initPublisher(context, { mode: 'sdk', baseUrl: fleet.url(0) }, { mode: 'one', name: CHANNEL }, STORM_HISTORY);
    pacer = startPacer(context.publisher, rate);
    const storm: StormResult = {
      kind: 'storm', clients, gateways, rate, policy,
      connect: { ...opened, perSecond: pacedPerSecond, perGateway: (await pool.stats()).perGateway, listenOverflows: connectOverflows },
      steps: [], published: 0, publishFailed: 0, behindAtEnd: 0, notBackAtEnd: 0,
    };
    result.storm = storm;
    // Events flow to everyone before the first fault.
    const flowing = performance.now() + 10_000;
    while ((await pool.stats()).maxSeq < 2 && performance.now() < flowing) await sleep(POLL_MS);

    const killed = 0;
    storm.steps.push(await measureFault(context, pool, fleet, pacedPerSecond, { label: `SIGKILL gateway ${killed + 1}`, signal: 'SIGKILL', gateway: killed, act: () => fleet.kill(killed) }));
    progress.tick();
    progress.show(`gateway: storm: starting gateway ${killed + 1} again`);
    await fleet.restart(killed);
    progress.tick();
    // The rolling restart starts after the killed one, so each step moves clients.
    for (let k = 1; k <= gateways; k++) {
      const i = (killed + k) % gateways;
      storm.steps.push(await measureFault(context, pool, fleet, pacedPerSecond, { label: `SIGTERM gateway ${i + 1}`, signal: 'SIGTERM', gateway: i, act: () => fleet.restart(i) }));
      progress.tick();
    }
    await pacer.stop();
    storm.published = pacer.published;
    storm.publishFailed = pacer.failed;
    if (pacer.failed > 0) result.notes.push(`${pacer.failed} publishes failed: ${pacer.errors[0] ?? ''}`);
    const end = await settle(context, pool, pacer.published + pacer.failed);
    storm.behindAtEnd = end.behind;
    storm.notBackAtEnd = end.notBack;
  } finally {
    await pacer?.stop().catch(() => undefined);
    await pool.close().catch(() => undefined);
    await pool.stop();
    await fleet.stop();
  }
  return result;
}
