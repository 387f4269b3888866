// Replays are paced by the client's socket and bounded by the gateway: a reader that keeps reading
// gets a 15 MB history on one connection without being cut as slow, one that stops reading is
// cut, and 100 readers resuming from `earliest` at once keep the gateway's peak memory within
// 256 MB of where it was while another subscriber keeps receiving its live events.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { ROOT, spawnGateway, type GatewayProcess } from '../helpers/gateway';
import { scrapeMetric } from '../helpers/metrics';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(240_000);

const HISTORY = 1000;
const EVENT_BYTES = 15_000;
const CHANNEL = 'execution:big';

let gateway: GatewayProcess;
let publisher: Publisher;
let token: string;

/** `VmRSS` or `VmHWM` (peak) of a process, in bytes. */
function memory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) * 1024;
}

interface Reader {
  socket: Socket;
  /** Events received so far (`event: ` lines). */
  events(): number;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

/** A raw stream reader counting events as fast as the socket delivers them. */
function read(path: string, lastEventId: string): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1');
    let count = 0;
    let tail = '';
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: ${lastEventId}\r\n\r\n`);
      resolve({ socket, events: () => count, closed });
    });
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      for (let at = text.indexOf('\nevent: '); at !== -1; at = text.indexOf('\nevent: ', at + 1)) count++;
      tail = text.slice(-8);
    });
  });
}

beforeAll(async () => {
  const prefix = uniquePrefix('replayflow');
  gateway = await spawnGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, HEARTBEAT_MS: '500', LOG_LEVEL: 'warn', MAX_CONNECTIONS_PER_SUBJECT: '1000' });
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix, historyMaxLen: HISTORY });
  token = await mintToken();
  const message = 'm'.repeat(EVENT_BYTES);
  for (let batch = 0; batch < HISTORY / 50; batch++) {
    await publisher.publishMany(Array.from({ length: 50 }, (_, i) => ({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'big', level: 'info', message: `${batch * 50 + i} ${message}` } })));
  }
});

afterAll(async () => {
  await publisher.close();
  await gateway.kill('SIGKILL');
});

test('a reader resuming from earliest over 1,000 × 15 KB events gets them all on one connection, never cut as slow', async () => {
  const client = new SseClient(gateway.url, { channels: [CHANNEL], token, lastEventId: 'earliest' });
  try {
    await client.waitForEvents(HISTORY, 60_000);
    expect(client.opens).toBe(1);
    expect(client.published).toHaveLength(HISTORY);
    expect(await scrapeMetric(gateway.url, 'sse_slow_client_disconnects_total')).toBe(0);
  } finally {
    client.close();
  }
});

test('a reader that stops reading during its replay is cut as slow', async () => {
  const slowBefore = await scrapeMetric(gateway.url, 'sse_slow_client_disconnects_total');
  const reader = await read(`/v1/stream?channel=${CHANNEL}`, 'earliest');
  await waitFor(() => reader.events() > 0, { message: 'the replay to start' });
  reader.socket.pause(); // reads nothing more: the kernel's buffers fill, then the gateway's
  await waitFor(async () => (await scrapeMetric(gateway.url, 'sse_slow_client_disconnects_total')) === slowBefore + 1, {
    timeoutMs: 30_000,
    message: 'the gateway to cut the reader as slow',
  });
  reader.socket.resume(); // what was in flight, then the end of the connection
  await reader.closed;
  expect(reader.events()).toBeLessThan(HISTORY);
});

test('100 concurrent earliest resumes keep peak RSS within 256 MB of the baseline while another subscriber keeps receiving', async () => {
  const pid = gateway.child.pid as number;
  await waitFor(async () => (await scrapeMetric(gateway.url, 'sse_connections')) === 0, { message: 'earlier streams to close' });
  const slowBefore = await scrapeMetric(gateway.url, 'sse_slow_client_disconnects_total');
  const baseline = memory(pid, 'VmRSS');
  const witness = new SseClient(gateway.url, { channels: ['execution:witness'], token });
  await witness.waitForOpen();
  const crowd = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/helpers/stream-readers.ts'), String(gateway.port), '100', `/v1/stream?channel=${CHANNEL}`, token, 'earliest', String(HISTORY)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  crowd.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const finished = new Promise<void>((resolve) => crowd.once('exit', () => resolve()));
  let over = false;
  void finished.then(() => (over = true));
  let sent = 0;
  let peak = baseline;
  try {
    await waitFor(async () => (await scrapeMetric(gateway.url, 'sse_connections')) > 50, { message: 'the crowd to connect' });
    while (!over) {
      await publisher.publish({ channel: 'execution:witness', type: 'execution.progress', data: { executionId: 'w', step: sent++ } });
      peak = Math.max(peak, memory(pid, 'VmRSS'));
      await waitFor(() => witness.published.length >= sent, { message: `the witness's event ${sent} during the storm` });
      if (sent > 10_000) throw new Error('the replays never finished');
    }
  } finally {
    crowd.kill();
    witness.close();
  }
  expect(JSON.parse(output)).toEqual({ done: 100 });
  expect(sent).toBeGreaterThan(10); // the witness was busy all along the storm
  expect(peak - baseline).toBeLessThan(256 * 1024 * 1024);
  expect(witness.published.map((e) => (e.data.data as { step: number }).step)).toEqual(Array.from({ length: sent }, (_, i) => i));
  expect(await scrapeMetric(gateway.url, 'sse_slow_client_disconnects_total')).toBe(slowBefore);
});
