// A quiet moment: clients hold still (no new connection, no planned hang-up), the soak waits until
// no stream request is without an answer, streams whose token would expire soon hang up, and then
// what the clients hold is compared with each gateway — its count, its log, its subscriptions on
// Redis — until they agree or SETTLE_MS passed; what still differs then is a violation.
// Publishing goes on meanwhile.
import type { Redis } from 'ioredis';
import type { LocalCluster } from '../../deploy/local/cluster';
import type { Call, HeldStream } from './client-messages';
import type { GatewayStreams } from './gateway-streams';
import { compareHeld, type Comparison, type GatewayView } from './held-check';
import { localPorts, redisView, scrapeGateway, subscriberPorts } from './probes';
import type { Invariant, Tally } from './tally';

const HANDSHAKES_DONE_MS = 30_000;
const SETTLE_MS = 15_000;

interface QuietContext {
  cluster: LocalCluster;
  admin: Redis;
  streams: GatewayStreams;
  tally: Tally;
  call: Call;
  log: (line: string) => void;
}

export async function quietCheck(ctx: QuietContext, label: string): Promise<void> {
  const { call, tally } = ctx;
  const started = Date.now();
  await call({ t: 'hold' }, 'ok');
  try {
    const handshakesDone = Date.now() + HANDSHAKES_DONE_MS;
    let inFlight = Number.POSITIVE_INFINITY;
    while (inFlight > 0 && Date.now() < handshakesDone) {
      inFlight = (await call({ t: 'snapshot' }, 'snapshot')).reduce((sum, r) => sum + r.inFlight, 0);
      if (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!tally.expect(inFlight === 0, 'connections', 'clients', () => `${inFlight} stream requests still without an answer ${HANDSHAKES_DONE_MS / 1000} s into a quiet moment (${label})`)) return;
    // No stream may end by itself while the counts settle: those whose token would expire
    // meanwhile hang up now.
    await call({ t: 'quiet-down', horizonMs: SETTLE_MS + 5000 }, 'ok');
    const deadline = Date.now() + SETTLE_MS;
    let last: Comparison;
    for (;;) {
      last = await compare(ctx);
      if (last.findings.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const [invariant, count] of Object.entries(last.checks) as [Invariant, number][]) {
      tally.check(invariant, count - last.findings.filter((f) => f.invariant === invariant).length);
    }
    for (const finding of last.findings) {
      tally.check(finding.invariant);
      tally.violation(finding.invariant, finding.where, `${finding.detail} (quiet moment: ${label})`);
    }
    const took = ((Date.now() - started) / 1000).toFixed(1);
    ctx.log(`quiet check (${label}, ${took} s): ${last.findings.length === 0 ? 'gateways match the clients' : `${last.findings.length} differences`}`);
  } finally {
    await call({ t: 'release' }, 'ok');
  }
}

/** One comparison: the clients' streams, then each gateway's metrics, log and Redis subscriptions. */
async function compare(ctx: QuietContext): Promise<Comparison> {
  const held: HeldStream[] = (await ctx.call({ t: 'snapshot' }, 'snapshot')).flatMap((r) => r.streams);
  const ports = await subscriberPorts(ctx.admin);
  const views: GatewayView[] = [];
  for (const gateway of ctx.cluster.gateways) {
    const metrics = await scrapeGateway(gateway.url);
    const pid = gateway.process.pid;
    // Its subscriber connection on Redis: the pub/sub client whose port is one of its sockets'.
    const mine = [...localPorts(pid)].filter((port) => ports.has(port));
    views.push({
      name: gateway.name,
      connections: metrics?.connections ?? -1,
      busSubscriptions: metrics?.busSubscriptions ?? -1,
      redisSubscriptions: mine.reduce((sum, port) => sum + (ports.get(port) ?? 0), 0),
      streams: ctx.streams.streams(pid),
    });
  }
  const wanted = [...new Set(views.flatMap((v) => [...v.streams.values()].flatMap((s) => s.channels)))];
  return compareHeld(held, views, await redisView(ctx.admin, wanted));
}
