// The connection invariants, compared at a quiet moment (no client handshake in flight, no fault
// running): what the clients hold against what each gateway counts, logs and has subscribed on
// Redis. Pure: the orchestrator gathers the views and repeats the comparison for a few seconds
// until it holds (a close takes a moment to reach a gateway), then reports what still differs.
import type { HeldStream } from './client-messages';
import type { LoggedStream } from './gateway-streams';
import type { Invariant } from './tally';

export interface GatewayView {
  name: string;
  /** `sse_connections`. */
  connections: number;
  /** `sse_bus_subscriptions`. */
  busSubscriptions: number;
  /** Channels of its subscriber connection on Redis (`sub=` of CLIENT LIST), 0 when it has none. */
  redisSubscriptions: number;
  /** Its log: streams opened and not closed, by subject. */
  streams: ReadonlyMap<string, LoggedStream>;
}

export interface RedisView {
  /** PUBSUB CHANNELS of the soak's live channels, as channel names. */
  channels: ReadonlySet<string>;
  /** PUBSUB NUMSUB of each channel any gateway wants. */
  subscribers: ReadonlyMap<string, number>;
}

interface Finding {
  invariant: Invariant;
  where: string;
  detail: string;
}

export interface Comparison {
  checks: Partial<Record<Invariant, number>>;
  findings: Finding[];
}

export function compareHeld(held: readonly HeldStream[], gateways: readonly GatewayView[], redis: RedisView): Comparison {
  const checks: Partial<Record<Invariant, number>> = { connections: 0, subscriptions: 0 };
  const findings: Finding[] = [];
  const expect = (ok: boolean, invariant: Invariant, where: string, detail: () => string): void => {
    checks[invariant] = (checks[invariant] ?? 0) + 1;
    if (!ok) findings.push({ invariant, where, detail: detail() });
  };
  const bySubject = new Map(held.map((stream) => [stream.subject, stream]));
  const servedBy = new Map<string, string[]>();
  const wanted = new Map<string, number>();
  // A library client changing streams may be in a handshake (counted, not logged yet) or closing
  // (logged, the count read a moment earlier): each allows one either way, on any gateway.
  const changing = held.filter((stream) => !stream.certain).length;
  for (const gateway of gateways) {
    const logged = [...gateway.streams.values()].reduce((sum, s) => sum + s.count, 0);
    expect(Math.abs(gateway.connections - logged) <= changing, 'connections', gateway.name, () =>
      `sse_connections is ${gateway.connections}, its log has ${logged} streams open${changing > 0 ? ` (${changing} library clients changing streams allow as many)` : ''}`);
    for (const [subject, stream] of gateway.streams) {
      servedBy.set(subject, [...(servedBy.get(subject) ?? []), ...Array<string>(stream.count).fill(gateway.name)]);
      const client = bySubject.get(subject);
      expect(client !== undefined, 'connections', gateway.name, () => `holds a stream of ${subject}, which no client holds`);
    }
    const channels = new Set([...gateway.streams.values()].flatMap((s) => s.channels));
    for (const channel of channels) wanted.set(channel, (wanted.get(channel) ?? 0) + 1);
    expect(gateway.busSubscriptions === channels.size, 'subscriptions', gateway.name, () => `sse_bus_subscriptions is ${gateway.busSubscriptions}, its clients are on ${channels.size} channels`);
    expect(gateway.redisSubscriptions === channels.size, 'subscriptions', gateway.name, () => `Redis has ${gateway.redisSubscriptions} subscriptions of its subscriber, its clients are on ${channels.size} channels`);
  }
  for (const stream of held) {
    if (!stream.certain) continue;
    const where = servedBy.get(stream.subject) ?? [];
    expect(where.length === 1, 'connections', stream.subject, () => `the client holds its stream, ${where.length === 0 ? 'no gateway holds it' : `gateways ${where.join(', ')} hold it`}`);
  }
  const extra = [...redis.channels].filter((channel) => !wanted.has(channel));
  const missing = [...wanted.keys()].filter((channel) => !redis.channels.has(channel));
  expect(extra.length === 0 && missing.length === 0, 'subscriptions', 'redis', () =>
    `PUBSUB CHANNELS has ${extra.length} channels no gateway's clients are on (${extra.slice(0, 3).join(', ')}) and lacks ${missing.length} (${missing.slice(0, 3).join(', ')})`);
  const wrong = [...wanted].filter(([channel, count]) => redis.subscribers.get(channel) !== count);
  expect(wrong.length === 0, 'subscriptions', 'redis', () =>
    `PUBSUB NUMSUB differs from the gateways with clients on ${wrong.length} channels, e.g. ${wrong.slice(0, 3).map(([c, n]) => `${c}: ${redis.subscribers.get(c)} vs ${n}`).join(', ')}`);
  return { checks, findings };
}
