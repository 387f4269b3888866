// `npm run bench`: the gateway (and with --compare nchan, Nchan) under the same load client, on
// a Redis started here; a progress bar while it runs, then a table, a JSON file and an HTML report
// in bench/results/. `npm run bench -- --help` for the options.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Child } from './lib/children';
import { LoadPool } from './lib/load-pool';
import type { PublisherCommand, PublisherReport } from './lib/messages';
import { makePlan, type Plan } from './lib/plan';
import { OTHER, runFinalizers } from './lib/proc';
import { Progress } from './lib/progress';
import { startRedis, type BenchRedis } from './lib/redis';
import { markdownReport } from './lib/markdown';
import { htmlReport } from './lib/html-report';
import { cpuTotals, terminalReport } from './lib/report';
import type { BenchResults, Machine, ScenarioResult } from './lib/results';
import { broadcastScenario, channelsScenario, idleScenario, type Context } from './lib/scenarios';
import { bareTarget, gatewayTarget, httpPublishNote, NCHAN_INSTALL, nchanMissing, nchanTarget, type Target } from './lib/targets';
import { replayScenario } from './lib/replay-scenario';
import type { ReconnectPolicy } from './lib/storm-book';
import { stormScenario, stormUnits } from './lib/storm-scenario';
import { formatProfile, summarizeProfile } from './profile-summary';

const HELP = `npm run bench [-- options]

Benchmarks the SSE gateway (one process, Redis bus, a real JWT per connection) with a load client
of raw-socket SSE connections (one process per core), a publisher process, and a Redis server it
starts itself on a free port. Everything it starts is stopped at the end, also on Ctrl-C.

Scenarios:
  idle       N connections on one channel: time to connect them all, server RSS growth per connection
  broadcast  1 channel, 1,000 then 10,000 subscribers, rising publish rates until p99 > 100 ms or loss
  channels   10,000 channels × 1 subscriber, round-robin publishing at rising rates, then as fast as possible
  replay     (gateway only) 100 readers resume a 1,000 × 15 KB history from earliest at once while a
             witness subscriber on another channel is timed at 10 msg/s: before vs during, memory, loss
  storm      (gateway only) 10,000 clients with cursors on 3 gateways at 2 msg/s: paced connect, one
             gateway SIGKILLed, then a SIGTERM rolling restart: time to resume, loss, latency, RSS

Options:
  --quick            smaller N and fewer, shorter steps (under 2 minutes)
  --compare nchan    also run every scenario against Nchan (nginx, 2 workers, Redis storage) and
                     print both side by side with ratios; needs: ${NCHAN_INSTALL}
  --compare bare     also against a bare node:http fan-out (res.write per client, no auth, no
                     Redis): the ceiling of one naive Node process with this load client
                     (both: --compare nchan,bare)
  --only <list>      comma-separated scenarios to run (idle,broadcast,channels,replay,storm)
  --storm-reconnect eventsource|client
                     how the storm's clients wait before reconnecting: exactly the stream's retry:
                     like a browser's EventSource (default), or @sse-gateway/client's full jitter
  --profile          run the gateway under node --cpu-prof (one profile per scenario) and print the
                     top self-time functions of each
  --no-http-publish  publish through the SDK only (skip POST /v1/publish)
  --no-gateway       run only the --compare targets (to look at one of them again)
  --report <file>    run nothing: print the tables of a saved results JSON and rewrite its .html and .md
  --help             this text

Output: a table on stdout, bench/results/bench-<time>.json and .html, .md (also latest.*).
`;

interface Args {
  quick: boolean;
  nchan: boolean;
  bare: boolean;
  only: Set<string>;
  profile: boolean;
  httpPublish: boolean;
  report?: string;
  gateway: boolean;
  stormPolicy: ReconnectPolicy;
}

const SCENARIOS = ['idle', 'broadcast', 'channels', 'replay', 'storm'];

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, nchan: false, bare: false, only: new Set(SCENARIOS), profile: false, httpPublish: true, gateway: true, stormPolicy: 'eventsource' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (arg === '--quick') args.quick = true;
    else if (arg === '--profile') args.profile = true;
    else if (arg === '--no-http-publish') args.httpPublish = false;
    else if (arg === '--no-gateway') args.gateway = false;
    else if (arg === '--report' || arg.startsWith('--report=')) args.report = arg.includes('=') ? arg.split('=')[1] : argv[++i];
    else if (arg === '--compare' || arg.startsWith('--compare=')) {
      const value = arg.includes('=') ? arg.split('=')[1] : argv[++i];
      const names = (value ?? '').split(',');
      if (names.some((n) => n !== 'nchan' && n !== 'bare') || names.length === 0) fail(`--compare takes nchan, bare or nchan,bare; got ${JSON.stringify(value ?? '')}`);
      args.nchan ||= names.includes('nchan');
      args.bare ||= names.includes('bare');
    } else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.split('=')[1] : argv[++i];
      const names = (value ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !SCENARIOS.includes(n));
      if (names.length === 0 || unknown.length > 0) fail(`--only takes ${SCENARIOS.join(',')}; got ${JSON.stringify(value ?? '')}`);
      args.only = new Set(names);
    } else if (arg === '--storm-reconnect' || arg.startsWith('--storm-reconnect=')) {
      const value = arg.includes('=') ? arg.split('=')[1] : argv[++i];
      if (value !== 'eventsource' && value !== 'client') fail(`--storm-reconnect takes eventsource or client; got ${JSON.stringify(value ?? '')}`);
      args.stormPolicy = value;
    } else fail(`unknown option ${arg} (see --help)`);
  }
  return args;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function openFileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? 1_048_576 : Number(out) || 1024;
}

/** The CPU-split name of each server (reports add "gateway" and "nginx" to the server's cores). */
const serverGroup = { gateway: 'gateway', nchan: 'nginx', bare: 'bare server' } as const;

const loadAverageAtStart = os.loadavg()[0] ?? 0;

function machine(redis: BenchRedis, nchan: Target | undefined): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    redis: redis.version,
    nginx: nchan?.version,
    openFileLimit: openFileLimit(),
    loadAverageAtStart,
  };
}

/** Publish paths each target is expected to run (the gateway's HTTP path is confirmed when it starts). */
const expectedPaths = (target: Target, args: Args): number => (target.name === 'gateway' && args.httpPublish ? 2 : 1);

function progressUnits(plan: Plan, args: Args, paths: number, target: Target): number {
  const gatewayOnly = target.name === 'gateway' ? (args.only.has('replay') ? 2 : 0) + (args.only.has('storm') ? stormUnits(plan.storm.gateways) : 0) : 0;
  return (
    gatewayOnly +
    (args.only.has('idle') ? plan.idle.length : 0) +
    paths * (args.only.has('broadcast') ? plan.broadcast.reduce((sum, b) => sum + b.rates.length, 0) : 0) +
    paths * (args.only.has('channels') ? plan.channels.rates.length + (plan.channels.max ? 1 : 0) : 0)
  );
}

async function runTarget(context: Context, args: Args): Promise<ScenarioResult[]> {
  const { plan } = context;
  const results: ScenarioResult[] = [];
  if (args.only.has('idle')) for (const n of plan.idle) results.push(await idleScenario(context, n));
  if (args.only.has('broadcast')) for (const b of plan.broadcast) results.push(...(await broadcastScenario(context, b.subscribers, b.rates)));
  if (args.only.has('channels')) results.push(...(await channelsScenario(context, plan.channels.count, plan.channels.rates, plan.channels.max)));
  // Nchan and the bare server have no resume from a cursor: these two are the gateway's alone.
  if (context.target.name !== 'gateway') return results;
  if (args.only.has('replay')) results.push(await replayScenario(context));
  if (args.only.has('storm')) results.push(await stormScenario(context, args.stormPolicy));
  return results;
}

/** Re-renders a saved run (after a change to the report, or to show it again). */
function rerender(file: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const base = file.replace(/\.json$/, '');
  writeFileSync(`${base}.html`, htmlReport(results));
  writeFileSync(`${base}.md`, markdownReport(results));
  process.stdout.write(`${terminalReport(results)}\n\nwrote ${base}.html and ${base}.md\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.report !== undefined) return rerender(args.report);
  const plan = makePlan(args.quick, openFileLimit());
  const started = new Date();
  const outDir = resolve(__dirname, 'results');
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const profileDir = args.profile ? join(outDir, `profiles-${stamp}`) : undefined;
  mkdirSync(profileDir ?? outDir, { recursive: true });
  const notes: string[] = [];

  const missing = args.nchan ? nchanMissing() : undefined;
  if (missing !== undefined) {
    process.stderr.write(`bench: skipping the Nchan comparison: ${missing}\n`);
    notes.push(`Nchan comparison skipped: ${missing}`);
  }
  const redis = await startRedis();
  const load = new LoadPool(Math.max(1, os.cpus().length));
  const publisher = new Child<PublisherCommand, PublisherReport>('publisher-process.ts', 'publisher');
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(targets.map((t) => t.stop()));
    await Promise.allSettled([load.stop(), publisher.stop()]);
    await redis.stop();
  };
  const targets: Target[] = args.gateway ? [gatewayTarget({ redis, profileDir, httpPublish: args.httpPublish, logFile: join(outDir, `gateway-${stamp}.log`) })] : [];
  if (args.nchan && missing === undefined) targets.push(nchanTarget(redis, join(outDir, `nginx-${stamp}.log`)));
  if (args.bare) targets.push(bareTarget());
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nbench: interrupted; stopping everything it started…\n');
    cleanup().finally(() => process.exit(130));
  });

  const progress = new Progress(targets.reduce((sum, target) => sum + progressUnits(plan, args, expectedPaths(target, args), target), 0));
  const scenarios: ScenarioResult[] = [];
  try {
    for (const target of targets) {
      const groups = {
        'load client': () => load.pids(),
        publisher: () => [publisher.pid],
        [serverGroup[target.name]]: () => target.pids(),
        redis: () => [redis.pid],
        orchestrator: () => [process.pid],
      };
      scenarios.push(...(await runTarget({ plan, target, load, publisher, redis, progress, groups, expectedPaths: expectedPaths(target, args) }, args)));
    }
  } finally {
    progress.end();
    await cleanup();
  }
  if (httpPublishNote !== undefined) notes.push(httpPublishNote);
  if (plan.idle.some((n) => n < 20_000) && args.only.has('idle') && !args.quick) {
    notes.push(`idle ${plan.idle.at(-1)}: the largest N under the open-file limit (${openFileLimit()}), as client and server share the machine`);
  }

  notes.push(...busyMachineNotes(scenarios, targets));

  const results: BenchResults = {
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    mode: plan.mode,
    machine: machine(redis, targets.find((t) => t.name === 'nchan')),
    targets: targets.map((t) => ({ name: t.name, version: t.version })),
    notes,
    scenarios,
  };
  if (profileDir !== undefined) {
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
      const scenario = results.scenarios.find((s) => s.target === 'gateway' && file.includes(`-${s.scenario}-`));
      if (scenario) scenario.profile = join(profileDir, file);
      process.stdout.write(`\n${formatProfile(join(profileDir, file), 15)}\n`);
      (results as BenchResults & { profiles?: Record<string, unknown> }).profiles = {
        ...((results as BenchResults & { profiles?: Record<string, unknown> }).profiles ?? {}),
        [file]: summarizeProfile(join(profileDir, file), 25),
      };
    }
  }
  const text = terminalReport(results);
  process.stdout.write(`\n${text}\n`);
  for (const name of [`bench-${stamp}`, 'latest']) {
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(outDir, `${name}.html`), htmlReport(results));
    writeFileSync(join(outDir, `${name}.md`), markdownReport(results));
  }
  process.stdout.write(`\nwrote ${join(outDir, `bench-${stamp}.json`)} and .html, .md (also latest.*)\n`);
}

/** Above this share of the CPU outside the benchmark's processes, latencies say as much about the machine. */
const BUSY_MACHINE_SHARE = 0.05;

/** A note per target whose scenarios ran while the rest of the machine was busy. */
function busyMachineNotes(scenarios: ScenarioResult[], targets: Target[]): string[] {
  return targets.flatMap((target) => {
    const totals = cpuTotals(scenarios, target.name);
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    const share = (totals[OTHER] ?? 0) / Math.max(all, 1e-9);
    if (share <= BUSY_MACHINE_SHARE) return [];
    return [`${target.name}: the rest of the machine used ${(100 * share).toFixed(0)} % of the CPU during its scenarios (quiet: 1–2 %); its latencies are inflated: compare targets within this run, and rerun on a quiet machine for absolute figures`];
  });
}

let interrupted = false;
process.on('exit', runFinalizers);
main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (interrupted) return; // the SIGINT handler is stopping everything and exits
    process.stderr.write(`\nbench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
