// Two numbers of failover and resume, measured with real processes: (1) how long after a gateway
// dies its clients receive events again through another gateway, and (2) how fast a 1,000-event
// backlog is replayed to a resuming client. Run: `npx tsc -b && node --import tsx bench/resume.ts`.
import { createPublisher } from '@sse-gateway/publisher';
import { spawnGateway } from '../test/helpers/gateway';
import { startLoadBalancer } from '../test/helpers/lb-proxy';
import { startRedisServer } from '../test/helpers/redis-server';
import { SseClient } from '../test/helpers/sse-client';
import { mintToken } from '../test/helpers/tokens';
import { waitFor } from '../test/helpers/wait-for';

const CLIENTS = 150;
const RETRY_MS = 100;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function failover(redisUrl: string): Promise<void> {
  const env = { REDIS_URL: redisUrl, RETRY_MS: String(RETRY_MS), LOG_LEVEL: 'info' };
  const gateways = await Promise.all([spawnGateway(env), spawnGateway(env), spawnGateway(env)]);
  const lb = await startLoadBalancer(gateways.map((g) => g.url));
  const token = await mintToken();
  const clients = Array.from({ length: CLIENTS }, () => new SseClient(lb.url, { channels: ['execution:bench-failover'], token }));
  const publisher = createPublisher({ redisUrl });
  try {
    await Promise.all(clients.map((c) => c.waitForOpen(20000)));
    let step = 0;
    let failedPublishes = 0;
    const publishing = setInterval(() => {
      publisher
        .publish({ channel: 'execution:bench-failover', type: 'execution.progress', data: { executionId: 'f', step: step++ } })
        .catch(() => failedPublishes++);
    }, 5);
    await waitFor(() => clients.every((c) => c.published.length > 5), { message: 'events flowing' });
    const onKilled = lb.served.get(gateways[0]?.url as string) ?? 0; // streams it holds
    const killedAt = Date.now();
    await gateways[0]?.kill('SIGKILL');
    // The clients of the killed gateway are those that open a second stream.
    const firstAfterKill = (c: SseClient): number | undefined => {
      const index = c.published.findIndex((e) => Date.parse(e.data.time) > killedAt);
      return index === -1 ? undefined : c.receivedAt[index];
    };
    const moved = (): SseClient[] => clients.filter((c) => c.opens > 1);
    await waitFor(() => moved().length === onKilled && moved().every((c) => firstAfterKill(c) !== undefined), {
      timeoutMs: 20000,
      message: 'the moved clients to get events again',
    });
    clearInterval(publishing);
    const gaps = moved().map((c) => (firstAfterKill(c) as number) - killedAt);
    console.log(
      `failover: ${gaps.length} of ${CLIENTS} clients were on the killed gateway; SIGKILL to their first event through another gateway ` +
        `(RETRY_MS=${RETRY_MS}): p50 ${percentile(gaps, 50)} ms, p90 ${percentile(gaps, 90)} ms, max ${Math.max(...gaps)} ms` +
        (failedPublishes > 0 ? ` (${failedPublishes} publishes failed)` : ''),
    );
  } finally {
    for (const c of clients) c.close();
    await publisher.close();
    await lb.close();
    await Promise.all(gateways.map((g) => g.kill('SIGTERM')));
  }
}

async function replay(redisUrl: string): Promise<void> {
  const gateway = await spawnGateway({ REDIS_URL: redisUrl, LOG_LEVEL: 'info' });
  const publisher = createPublisher({ redisUrl, historyMaxLen: 5000 });
  const token = await mintToken();
  try {
    const backlog = 1000;
    for (let i = 0; i < backlog; i += 100) {
      await publisher.publishMany(
        Array.from({ length: 100 }, (_, k) => ({ channel: 'execution:bench-replay', type: 'execution.log', data: { executionId: 'r', level: 'info', message: `line ${i + k} ${'x'.repeat(120)}` } })),
      );
    }
    const rates: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = Date.now();
      const client = new SseClient(gateway.url, { channels: ['execution:bench-replay'], token, lastEventId: 'earliest' });
      await client.waitForEvents(backlog, 20000);
      const seconds = (Date.now() - started) / 1000;
      client.close();
      rates.push(backlog / seconds);
    }
    console.log(
      `replay: ${backlog} events (~${Math.round(JSON.stringify({ message: 'x'.repeat(140) }).length + 110)} B each) from connect to the last one received, ` +
        `${rates.map((r) => Math.round(r)).join(', ')} events/s over 5 runs (median ${Math.round(percentile(rates, 50))})`,
    );
  } finally {
    await publisher.close();
    await gateway.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  try {
    await failover(redis.url);
    await replay(redis.url);
  } finally {
    await redis.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
