// The replay scenario (gateway only): a channel's history of large events replayed to many readers
// at once, from `earliest`, while a witness subscriber on another channel receives live events at a
// steady rate. The gateway paces each replay by its client's socket and bounds the history held
// for replays (REPLAY_BUDGET_BYTES): the witness's latency, the gateway's memory and the slow-client
// counter say whether that holds.
import { createPublisher } from '@sse-gateway/publisher';
import { Child } from './children';
import type { ReplayCommand, ReplayReport } from './messages';
import { startPacer } from './pacer';
import { cpuMeter, sleep } from './proc';
import type { ReplayResult, ScenarioResult, WitnessPhase } from './results';
import { connect, drain, initPublisher, SETTLE_MS, withServer, type Context } from './scenarios';
import { SCHEMAS_DIR } from './targets';

const CHANNEL = 'bench-replay';
const WITNESS: { mode: 'one'; name: string } = { mode: 'one', name: 'bench-witness' };
const SEED_BATCH = 25;
/** The envelope around the padding: id, channel, type, time, seq, sentAt. */
const ENVELOPE_BYTES = 160;
const REPLAY_TIMEOUT_MS = 120_000;
const RSS_SAMPLE_MS = 50;

/** The channel's history: `events` bench events of about `eventBytes` each, seq 1…events. */
async function seed(context: Context, events: number, eventBytes: number): Promise<void> {
  const publisher = createPublisher({ redisUrl: context.redis.url, schemasDir: SCHEMAS_DIR, historyMaxLen: events });
  const pad = 'x'.repeat(Math.max(0, eventBytes - ENVELOPE_BYTES));
  try {
    for (let first = 1; first <= events; first += SEED_BATCH) {
      const batch = Array.from({ length: Math.min(SEED_BATCH, events - first + 1) }, (_, k) => ({
        channel: CHANNEL, type: 'bench.tick', data: { seq: first + k, sentAt: performance.timeOrigin + performance.now(), pad },
      }));
      await publisher.publishMany(batch);
    }
  } finally {
    await publisher.close();
  }
}

/** The witness at the plan's rate for `ms`, the way a ladder step is measured. */
async function baseline(context: Context, rate: number, ms: number): Promise<WitnessPhase> {
  await context.load.stats(true);
  const started = performance.now();
  const reply = await context.publisher.call({ t: 'run', rate, durationMs: ms });
  if (reply.t !== 'done') throw new Error(`publisher: ${reply.t === 'error' ? reply.message : reply.t}`);
  const { stats } = await drain(context, reply.published, started, 'replay', 'witness alone');
  return { published: reply.published, received: stats.received, lost: Math.max(0, reply.published - stats.received), latency: stats.latency.summary() };
}

export async function replayScenario(context: Context): Promise<ScenarioResult> {
  const { target, plan } = context;
  const { events, eventBytes, readers, witnessRate, baselineMs } = plan.replay;
  const result: ScenarioResult = { target: target.name, scenario: 'replay', label: `replay ${readers}×${events}`, steps: [], notes: [] };
  const replayers = new Child<ReplayCommand, ReplayReport>('replay-client.ts', 'replay-client');
  try {
    await withServer(context, 'replay', async () => {
      context.progress.show(`${target.name}: replay: storing ${events} events of ${Math.round(eventBytes / 1000)} KB`);
      await seed(context, events, eventBytes);
      const opened = await connect(context, 1, WITNESS, 'replay witness');
      if (opened.ok !== 1) throw new Error(`the replay's witness could not connect: ${opened.errors.join(', ')}`);
      const [sdk] = await target.publishPaths();
      await initPublisher(context, sdk!, WITNESS);
      await sleep(SETTLE_MS);
      context.progress.show(`${target.name}: replay: the witness alone at ${witnessRate}/s`);
      const before = await baseline(context, witnessRate, baselineMs);
      context.progress.tick();
      const rssBaseline = target.rss();
      const slowBefore = await target.metric?.('sse_slow_client_disconnects_total');

      context.progress.show(`${target.name}: replay: ${readers} readers from earliest, the witness at ${witnessRate}/s`);
      let rssPeak = rssBaseline;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, target.rss())), RSS_SAMPLE_MS);
      const meter = cpuMeter({ ...context.groups, 'replay readers': () => [replayers.pid] });
      await context.load.stats(true);
      const pacer = startPacer(context.publisher, witnessRate);
      const stream = target.stream();
      const reply = await replayers.call({ t: 'replay', host: stream.hosts[0]!, port: stream.port, channel: CHANNEL, jwtSecret: stream.jwtSecret ?? '', readers, events, timeoutMs: REPLAY_TIMEOUT_MS });
      const during = await context.load.stats(true);
      clearInterval(sampler);
      const cpu = meter();
      await pacer.stop();
      // Events published after the last reader finished (the pacer's last chunk) count as well.
      const rest = await drain(context, pacer.published - during.received, performance.now(), 'replay', 'witness after the replay');
      const slowAfter = await target.metric?.('sse_slow_client_disconnects_total');
      if (reply.t !== 'replayed') throw new Error(`replay readers: ${reply.message}`);
      if (pacer.failed > 0) result.notes.push(`${pacer.failed} witness publishes failed: ${pacer.errors[0] ?? ''}`);
      const replay: ReplayResult = {
        kind: 'replay', events, eventBytes, readers, witnessRate,
        baseline: before,
        during: {
          published: pacer.published,
          received: during.received,
          lost: Math.max(0, pacer.published - during.received - rest.stats.received),
          latency: during.latency.summary(),
        },
        completionSeconds: reply.doneAt > 0 ? (reply.doneAt - reply.startedAt) / 1000 : Number.NaN,
        replayedBytes: reply.bytes,
        readersComplete: reply.complete,
        readerProblems: { short: reply.short, duplicated: reply.duplicated, disorder: reply.disorder, failedConnects: reply.failedConnects, errors: reply.errors },
        rssBaselineBytes: rssBaseline,
        rssPeakBytes: rssPeak,
        slowDisconnects: slowBefore === undefined || slowAfter === undefined ? undefined : slowAfter - slowBefore,
        cpu,
      };
      result.replay = replay;
      context.progress.tick();
    });
  } finally {
    await replayers.stop();
  }
  return result;
}
