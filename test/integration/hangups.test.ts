// 1,000 stream handshakes cut at random points by real sockets — RST and FIN; before the request's
// headers are complete, while fresh tokens are verified, while new channels are joined, during a
// replay, just after the stream opened — leave nothing behind in a gateway process on Redis: no
// connection counted, no Redis subscription, every subject's full quota, open files back to where
// they were, and nothing delivered to a closed socket.
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { seededRandom } from '../../bench/lib/seeded-random';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway';
import { scrapeMetric } from '../helpers/metrics';
import { connectRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { rawStream } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const HANDSHAKES = 1000;
const IN_FLIGHT = 40;
const SUBJECTS = ['ann', 'ben', 'cy', 'di'];
const QUOTA = 5;
const REPLAY_CHANNEL = 'execution:replay';

type Cut = 'partial-headers' | 'verifying' | 'joining' | 'replaying' | 'opened';
const CUTS: Cut[] = ['partial-headers', 'verifying', 'joining', 'replaying', 'opened'];

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Ends the socket one way or the other: RST (resetAndDestroy) or FIN (end, then gone). */
function hangUp(socket: Socket, rst: boolean): void {
  if (rst) socket.resetAndDestroy();
  else socket.end();
}

/** Waits `turns` turns of the event loop: a cut at a varying point of the server's handshake. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

let gateway: GatewayProcess;
let publisher: Publisher;
let prefix: string;

beforeAll(async () => {
  prefix = uniquePrefix('hangups');
  gateway = await spawnGateway({
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
    MAX_CONNECTIONS_PER_SUBJECT: String(QUOTA),
    LOG_LEVEL: 'warn',
  });
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
  const big = 'x'.repeat(4000);
  for (let i = 0; i < 4; i++) {
    await publisher.publishMany(Array.from({ length: 100 }, (_, step) => ({ channel: REPLAY_CHANNEL, type: 'execution.log', data: { executionId: 'r', level: 'info', message: `${i}-${step} ${big}` } })));
  }
});

afterAll(async () => {
  await publisher.close();
  await gateway.kill('SIGKILL');
});

test(`${HANDSHAKES} handshakes cut at random points leave nothing behind`, async () => {
  const seed = Number(process.env['HANGUP_SEED'] ?? Date.now() % 100000);
  const random = seededRandom(seed);
  const { port } = gateway;
  const pid = gateway.child.pid as number;
  // Warm up: one stream opened and closed, so lazily created handles exist before the baseline.
  const warm = await rawStream(gateway.url, `/v1/stream?channel=execution:warm`, { Authorization: `Bearer ${await mintToken({ sub: 'warm' })}` });
  warm.close();
  await waitFor(async () => (await scrapeMetric(gateway.url, 'sse_connections')) === 0, { message: 'the warm-up stream to close' });
  const baselineFiles = openFiles(pid);
  const cutsSeen = new Map<Cut, number>();

  async function handshake(n: number): Promise<void> {
    const cut = CUTS[Math.floor(random() * CUTS.length)] as Cut;
    const rst = random() < 0.5;
    const subject = SUBJECTS[n % SUBJECTS.length] as string;
    const token = await mintToken({ sub: subject, jti: `${seed}-${n}` }); // fresh: never in the verification cache
    const channel = cut === 'replaying' ? REPLAY_CHANNEL : `execution:h${n % 97}-${cut === 'joining' ? n : 0}`;
    const lastEventId = cut === 'replaying' ? 'Last-Event-ID: earliest\r\n' : '';
    const request = `GET /v1/stream?channel=${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n${lastEventId}\r\n`;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = 0;
    const bytesWanted = 1 + Math.floor(random() * 200_000);
    const enough = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= (cut === 'replaying' ? bytesWanted : 1)) resolve();
      });
    });
    if (cut === 'partial-headers') {
      socket.write(request.slice(0, 10 + Math.floor(random() * (request.length - 14))));
      await turns(Math.floor(random() * 4));
    } else {
      socket.write(request);
      if (cut === 'verifying' || cut === 'joining') await turns(Math.floor(random() * 6));
      else await Promise.race([enough, closed]);
    }
    hangUp(socket, rst);
    await closed;
    cutsSeen.set(cut, (cutsSeen.get(cut) ?? 0) + 1);
  }

  let next = 0;
  const workers = Array.from({ length: IN_FLIGHT }, async () => {
    while (next < HANDSHAKES) await handshake(next++);
  });
  await Promise.all(workers);
  for (const cut of CUTS) expect(cutsSeen.get(cut) ?? 0).toBeGreaterThan(100); // every kind happened (seed ${seed})

  const detail = (): string => `seed ${seed}`;
  await waitFor(async () => (await scrapeMetric(gateway.url, 'sse_connections')) === 0, { message: 'sse_connections to be 0', detail });
  const redis = connectRedis();
  try {
    await waitFor(async () => (await redis.pubsub('CHANNELS', `${prefix}:*`)).length === 0, { message: 'no Redis subscription left', detail });
  } finally {
    await redis.quit();
  }
  await waitFor(() => openFiles(pid) <= baselineFiles, { message: `open files back to ${baselineFiles} (now ${openFiles(pid)})`, detail });

  // Nothing is delivered to the sockets that are gone.
  const delivered = await scrapeMetric(gateway.url, 'sse_events_delivered_total');
  await publisher.publishMany(Array.from({ length: 97 }, (_, i) => ({ channel: `execution:h${i}-0`, type: 'execution.status', data: { executionId: 'h', status: 'running' } })));
  await publisher.publish({ channel: REPLAY_CHANNEL, type: 'execution.status', data: { executionId: 'r', status: 'running' } });
  const witness = await rawStream(gateway.url, '/v1/stream?channel=execution:h0-0&lastEventId=earliest', { Authorization: `Bearer ${await mintToken({ sub: 'witness' })}` });
  await waitFor(() => witness.blocks().some((block) => block['event'] === 'execution.status'), { message: 'the witness to replay the event' });
  witness.close();
  expect(await scrapeMetric(gateway.url, 'sse_events_delivered_total')).toBe(delivered + 1); // the witness's replayed event only

  // Every subject can open its whole quota again (and not one more).
  for (const subject of SUBJECTS) {
    const token = await mintToken({ sub: subject });
    const streams = await Promise.all(Array.from({ length: QUOTA }, () => rawStream(gateway.url, '/v1/stream?channel=execution:quota', { Authorization: `Bearer ${token}` })));
    expect(streams.map((s) => s.response.statusCode)).toEqual(new Array(QUOTA).fill(200));
    const over = await rawStream(gateway.url, '/v1/stream?channel=execution:quota', { Authorization: `Bearer ${token}` });
    expect(over.response.statusCode).toBe(429);
    over.close();
    for (const stream of streams) stream.close();
  }
}, 180_000);
