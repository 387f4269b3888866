// The soak's other checks must fail when they should: a gateway counting a stream no client
// holds, subscriptions left behind on Redis, a 5xx outside the fault that explains it, memory or
// open files that grow — and pass on what the contract allows.
import { loadBalancerFailTimeoutMs } from '../../soak/lib/faults';
import { checkFlatness, type ProcessSample } from '../../soak/lib/flatness';
import { compareHeld, type GatewayView, type RedisView } from '../../soak/lib/held-check';
import type { HeldStream } from '../../soak/lib/client-messages';
import { judgeStatuses } from '../../soak/lib/status-rules';
import { Tally } from '../../soak/lib/tally';

function gateway(name: string, streams: Record<string, string[]>, overrides: Partial<GatewayView> = {}): GatewayView {
  const map = new Map(Object.entries(streams).map(([subject, channels]) => [subject, { channels, count: 1 }]));
  const channels = new Set(Object.values(streams).flat());
  return { name, connections: map.size, busSubscriptions: channels.size, redisSubscriptions: channels.size, streams: map, ...overrides };
}

const held = (subject: string, channels: string[], certain = true): HeldStream => ({ subject, channels, certain });
const redis = (counts: Record<string, number>): RedisView => ({ channels: new Set(Object.keys(counts)), subscribers: new Map(Object.entries(counts)) });

describe('the soak comparison of clients and gateways at a quiet moment', () => {
  const clients = [held('a.1', ['x']), held('b.1', ['x', 'y']), held('l1', ['y'], false)];

  it('passes when every gateway holds exactly what its clients hold', () => {
    const views = [gateway('g1', { 'a.1': ['x'] }), gateway('g2', { 'b.1': ['x', 'y'], l1: ['y'] })];
    const { findings, checks } = compareHeld(clients, views, redis({ x: 2, y: 1 }));
    expect(findings).toEqual([]);
    expect(checks.connections).toBeGreaterThan(0);
    expect(checks.subscriptions).toBeGreaterThan(0);
  });

  it('lets a library client that changes streams be held by no gateway for a moment', () => {
    const views = [gateway('g1', { 'a.1': ['x'] }), gateway('g2', { 'b.1': ['x', 'y'] })];
    expect(compareHeld(clients, views, redis({ x: 2, y: 1 })).findings).toEqual([]);
  });

  it('catches a gateway that counts a stream its log does not have, and one that holds a stream no client holds', () => {
    const views = [gateway('g1', { 'a.1': ['x'] }, { connections: 2 }), gateway('g2', { 'b.1': ['x', 'y'], 'gone.3': ['y'] })];
    const details = compareHeld(clients.slice(0, 2), views, redis({ x: 2, y: 1 })).findings.map((f) => `${f.invariant} ${f.where}: ${f.detail}`);
    expect(details).toEqual([
      'connections g1: sse_connections is 2, its log has 1 streams open',
      'connections g2: holds a stream of gone.3, which no client holds',
    ]);
  });

  it('allows a count off by as many streams as library clients are changing streams, no more', () => {
    const views = (count: number): GatewayView[] => [gateway('g1', { 'a.1': ['x'] }, { connections: count }), gateway('g2', { 'b.1': ['x', 'y'] })];
    expect(compareHeld(clients, views(2), redis({ x: 2, y: 1 })).findings).toEqual([]);
    expect(compareHeld(clients, views(0), redis({ x: 2, y: 1 })).findings).toEqual([]);
    expect(compareHeld(clients, views(3), redis({ x: 2, y: 1 })).findings.map((f) => f.detail)).toEqual([
      'sse_connections is 3, its log has 1 streams open (1 library clients changing streams allow as many)',
    ]);
  });

  it('catches a client stream no gateway holds, or two hold', () => {
    const views = [gateway('g1', { 'a.1': ['x'], 'b.1': ['x', 'y'] }), gateway('g2', { 'b.1': ['x', 'y'] })];
    const findings = compareHeld([held('a.1', ['x']), held('b.1', ['x', 'y']), held('c.1', ['x'])], views, redis({ x: 2, y: 2 })).findings;
    expect(findings.map((f) => f.detail)).toEqual(['the client holds its stream, gateways g1, g2 hold it', 'the client holds its stream, no gateway holds it']);
  });

  it('catches subscriptions a gateway keeps for channels without clients, on its gauge and on Redis', () => {
    const views = [gateway('g1', { 'a.1': ['x'] }, { busSubscriptions: 2, redisSubscriptions: 2 }), gateway('g2', { 'b.1': ['x', 'y'] })];
    const findings = compareHeld(clients.slice(0, 2), views, redis({ x: 2, y: 1, z: 1 })).findings;
    expect(findings.map((f) => `${f.where}: ${f.detail}`)).toEqual([
      'g1: sse_bus_subscriptions is 2, its clients are on 1 channels',
      'g1: Redis has 2 subscriptions of its subscriber, its clients are on 1 channels',
      'redis: PUBSUB CHANNELS has 1 channels no gateway\'s clients are on (z) and lacks 0 ()',
    ]);
  });
});

describe('the soak judge of error answers', () => {
  const windows = [{ kind: 'rolling-restart' as const, start: 10_000, end: 20_000 }];

  it('accepts a 503 draining during a rolling restart (and its grace), a 502 for a publish then but not for a stream, a 401 for a token that expired meanwhile, and nothing else', () => {
    const tally = new Tally();
    judgeStatuses([
      { at: 15_000, status: 503, code: 'draining', what: 'stream' },
      { at: 24_000, status: 503, code: 'draining', what: 'publish' },
      { at: 30_000, status: 503, code: 'draining', what: 'stream' },
      { at: 15_000, status: 500, code: 'internal', what: 'publish' },
      { at: 15_000, status: 401, code: 'invalid_token', what: 'stream' },
      { at: 40_000, status: 401, code: 'invalid_token', what: 'stream', tokenExpired: true },
      { at: 12_000, status: 502, code: '', what: 'publish' },
      { at: 12_000, status: 502, code: '', what: 'stream' },
    ], windows, tally);
    expect(tally.snapshot.checks.status).toBe(8);
    expect(tally.snapshot.examples.map((v) => `${v.where}: ${v.detail.split(' at ')[0]}`)).toEqual(['stream: 503 draining', 'publish: 500 internal', 'stream: 401 invalid_token', 'stream: 502']);
  });
});

describe('the soak flatness check', () => {
  const samples = (rss: (i: number) => number, fds: (i: number) => number, connections = (_: number) => 100): ProcessSample[] =>
    Array.from({ length: 20 }, (_, i) => ({ t: i * 2000, rss: rss(i), fds: fds(i) + connections(i), connections: connections(i) }));
  const MiB = 1048576;

  it('passes memory that breathes and files that follow the streams', () => {
    const tally = new Tally();
    const processes = new Map([[1, { name: 'g1', samples: samples((i) => (100 + (i % 3) * 10) * MiB, () => 30, (i) => 100 + i * 50) }]]);
    checkFlatness(processes, tally);
    expect(tally.snapshot.examples).toEqual([]);
    expect(tally.snapshot.checks).toEqual({ rss: 1, fds: 1 });
  });

  it('catches memory and open files that keep growing with the same streams', () => {
    const tally = new Tally();
    const processes = new Map([[1, { name: 'g1', samples: samples((i) => (100 + i * 8) * MiB, (i) => 30 + i * 10) }]]);
    checkFlatness(processes, tally);
    expect(tally.snapshot.examples.map((v) => v.invariant)).toEqual(['rss', 'fds']);
  });

  it('does not judge a process that lived too short', () => {
    const tally = new Tally();
    checkFlatness(new Map([[1, { name: 'g1', samples: samples((i) => i * 100 * MiB, (i) => i * 100).slice(0, 5) }]]), tally);
    expect(tally.totalChecks).toBe(0);
  });
});

describe('the soak rolling restart', () => {
  it('waits out nginx\'s fail_timeout between gateways, as read from the compose config', () => {
    expect(loadBalancerFailTimeoutMs('server a:1 max_fails=2 fail_timeout=5s;\nserver b:1 fail_timeout=7s;')).toBe(8000);
    expect(loadBalancerFailTimeoutMs()).toBeGreaterThan(1000);
  });
});
