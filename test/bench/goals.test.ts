// The goals of bench/README.md judged within one run: ratios to Nchan and the bare server of the
// same run, both gateway publish paths where the goal says so, and no verdict where a reference
// is missing or the plan was --quick.
import { goalRows, goalTable, verdict } from '../../bench/lib/goals';

type GoalRow = ReturnType<typeof goalRows>[number];
import type { BenchResults, ScenarioResult } from '../../bench/lib/results';
import { benchResults } from './fixture';

function row(results: BenchResults, start: string): GoalRow {
  const found = goalRows(results).find((r) => r.goal.startsWith(start));
  if (!found) throw new Error(`no goal starting with ${start}`);
  return found;
}

const verdictOf = (results: BenchResults, start: string): string => verdict(results, row(results, start));

function gateway(results: BenchResults, label: string): ScenarioResult {
  const found = results.scenarios.find((s) => s.target === 'gateway' && s.label.startsWith(label));
  if (!found) throw new Error(`no gateway scenario ${label}`);
  return found;
}

describe('the goals of one run', () => {
  test('each goal of the table is judged from the run as the goal states it', () => {
    const results = benchResults();
    const verdicts = goalRows(results).map((r) => [r.goal, verdict(results, r)]);
    expect(verdicts).toEqual([
      ['connect 10k clients, a distinct JWT each: ≥ 1.0× bare and ≥ 0.5× Nchan', 'MISSED'], // 0.55× bare, 0.38× Nchan
      ['connect 19.8k clients, a distinct JWT each: ≥ 1.0× bare and ≥ 0.5× Nchan', 'MISSED'],
      ['RSS per idle connection ≤ 8 KB at 10k and at the largest N, and ≤ 0.8× Nchan', 'MISSED'], // 10.7 KB
      // The fixture's gateway has lower latencies than its Nchan.
      ['p99, 10k channels × 1 sub at 1k msg/s ≤ 1.0× Nchan (SDK and HTTP)', 'met'],
      ['p99, broadcast to 1k subs at 10 msg/s ≤ 1.0× Nchan (SDK and HTTP)', 'met'],
      ['p99, broadcast to 10k subs at 1 msg/s ≤ 1.0× Nchan (SDK and HTTP)', 'met'],
      ["reconnect storm: a killed gateway's clients resume within 1.5× the paced connect time, 0 lost", 'met'], // 1.4 s vs 1.11 s
      ['replay: concurrent resumes from earliest keep peak RSS ≤ baseline + 256 MB, 0 slow-client disconnects, every event to every reader', 'met'], // +160 MB
      ["broadcast to 1k subs: ≥ 4× Nchan's highest rate with p99 < 100 ms and no loss", 'met'], // 400 msg/s against 100
      ["10k channels × 1 sub: ≥ 3× Nchan's deliveries/s without loss", 'MISSED'], // the same throughput
      ['broadcast to 1k subs: ≥ 200 msg/s with p99 < 100 ms (absolute, from the first targets)', 'met'],
      ['no event lost in any step', 'met'],
    ]);
  });

  test('connect: at least as fast as bare node:http and half as fast as Nchan, with no failure', () => {
    const results = benchResults();
    const idle = gateway(results, 'idle 10000').idle!;
    idle.connectsPerSecond = 4300; // bare 4271, Nchan 6205
    expect(verdictOf(results, 'connect 10k')).toBe('met');
    expect(row(results, 'connect 10k').gateway).toBe('4300/s (4.27 s); 1.01× bare, 0.69× Nchan');
    idle.failed = 1;
    expect(verdictOf(results, 'connect 10k')).toBe('MISSED');
    idle.failed = 0;
    idle.connectsPerSecond = 4200;
    expect(verdictOf(results, 'connect 10k')).toBe('MISSED');
  });

  test('memory: under 8 KB at both sizes and under 0.8× Nchan', () => {
    const results = benchResults();
    for (const s of results.scenarios.filter((x) => x.idle)) s.idle!.rssPerConnectionBytes = s.target === 'gateway' ? 7.5 * 1024 : 10 * 1024;
    expect(verdictOf(results, 'RSS per idle')).toBe('met');
    gateway(results, 'idle 19800').idle!.rssPerConnectionBytes = 8.2 * 1024;
    expect(verdictOf(results, 'RSS per idle')).toBe('MISSED');
  });

  test('latency: both publish paths at or below Nchan, the slower path decides', () => {
    const results = benchResults();
    const http = results.scenarios.find((s) => s.target === 'gateway' && s.label.startsWith('channels ') && s.steps[0]?.path === 'gateway-http')!;
    const nchan = results.scenarios.find((s) => s.target === 'nchan' && s.label.startsWith('channels '))!;
    http.steps[0]!.latency.p99 = nchan.steps[0]!.latency.p99 + 0.5;
    const channels = row(results, 'p99, 10k channels');
    expect(verdict(results, channels)).toBe('MISSED');
    expect(channels.gateway).toMatch(/^SDK p99 5\.0 ms \(0\.63×\); HTTP p99 8\.5 ms \(1\.06×\)$/);
    expect(channels.others.nchan).toBe('p99 8.0 ms');
    // Loss fails it too, whatever the latency.
    http.steps[0]!.latency.p99 = 1;
    http.steps[0]!.lost = 3;
    expect(verdictOf(results, 'p99, 10k channels')).toBe('MISSED');
  });

  test('storm: over 1.5× the paced connect, any loss or duplicate, or a client never back misses it', () => {
    const results = benchResults();
    const storm = gateway(results, 'storm').storm!;
    storm.steps[0]!.stormSeconds = 1.7; // 1.53×
    expect(verdictOf(results, 'reconnect storm')).toBe('MISSED');
    storm.steps[0]!.stormSeconds = 1.4;
    storm.steps[2]!.duplicated = 1;
    expect(verdictOf(results, 'reconnect storm')).toBe('MISSED');
    expect(row(results, 'no event lost').gateway).toBe('1 lost or duplicated in the storm');
    storm.steps[2]!.duplicated = 0;
    storm.behindAtEnd = 2;
    expect(verdictOf(results, 'reconnect storm')).toBe('MISSED');
    storm.behindAtEnd = 0;
    storm.steps[1]!.unsettled = 5;
    expect(verdictOf(results, 'reconnect storm')).toBe('MISSED');
    storm.steps[1]!.unsettled = 0;
    storm.notBackAtEnd = 1;
    expect(verdictOf(results, 'reconnect storm')).toBe('MISSED');
    expect(row(results, 'reconnect storm').others).toEqual({ nchan: 'n/a (gateway only)', bare: 'n/a (gateway only)' });
  });

  test('replay: memory within 256 MB of the baseline, no slow-client disconnect, every reader complete', () => {
    const results = benchResults();
    const replay = gateway(results, 'replay').replay!;
    replay.rssPeakBytes = replay.rssBaselineBytes + 257 * 2 ** 20;
    expect(verdictOf(results, 'replay')).toBe('MISSED');
    replay.rssPeakBytes = replay.rssBaselineBytes;
    replay.slowDisconnects = 1;
    expect(verdictOf(results, 'replay')).toBe('MISSED');
    replay.slowDisconnects = 0;
    replay.readersComplete = 99;
    expect(verdictOf(results, 'replay')).toBe('MISSED');
    expect(row(results, 'no event lost').gateway).toBe('1 replay readers incomplete');
  });

  test('without Nchan and bare in the run the relative goals say what they need; the others are judged', () => {
    const results = benchResults();
    results.scenarios = results.scenarios.filter((s) => s.target === 'gateway');
    expect(verdictOf(results, 'connect 10k')).toBe('needs --compare bare,nchan');
    expect(verdictOf(results, 'RSS per idle')).toBe('needs --compare nchan');
    expect(verdictOf(results, 'p99, broadcast to 1k')).toBe('needs --compare nchan');
    expect(verdictOf(results, "broadcast to 1k subs: ≥ 4×")).toBe('needs --compare nchan');
    expect(verdictOf(results, 'reconnect storm')).toBe('met');
    expect(verdictOf(results, 'broadcast to 1k subs: ≥ 200')).toBe('met');
    expect(goalTable(results).split('\n')[0]).toMatch(/^goal +gateway +met\? *$/);
  });

  test('a scenario that did not run is "not run"; a --quick run judges nothing', () => {
    const results = benchResults();
    results.scenarios = results.scenarios.filter((s) => !s.storm);
    expect(verdictOf(results, 'reconnect storm')).toBe('not run');
    results.mode = 'quick';
    expect(goalRows(results).map((r) => verdict(results, r))).toEqual(new Array(12).fill('n/a (--quick)'));
  });
});
