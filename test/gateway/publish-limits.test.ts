// POST /v1/publish against limits, on gateways running as their own processes so their memory can
// be read from /proc: a 10 MB body is refused with 413 without the gateway ever holding it, with
// or without a Content-Length. And when Redis is gone, publish answers 503 instead of hanging.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { spawnGateway, startGateway, type GatewayProcess } from '../helpers/gateway';
import { startRedisServer } from '../helpers/redis-server';
import { uniquePrefix } from '../helpers/redis';
import { httpJson } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const TEN_MB = 10 * 1024 * 1024;

/** Peak resident set size of a process so far (VmHWM), in bytes: catches a buffer that lived only briefly. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) * 1024;
}

interface Answer {
  status: number;
  body: string;
}

/**
 * POSTs `size` bytes in 64 KiB writes, honouring backpressure, and resolves with the answer as
 * soon as it arrives (the server may answer before the body is sent; errors writing the rest of
 * the body after the answer are expected and ignored).
 */
function postLarge(url: string, token: string, size: number, { declareLength }: { declareLength: boolean }): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  if (declareLength) headers['Content-Length'] = String(size);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      // As a careful client does: stop sending once the answer is in.
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20); // JSON whitespace
    let sent = 0;
    const pump = (): void => {
      while (sent < size && !answered && !req.destroyed) {
        const part = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
        sent += part.length;
        if (!req.write(part)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

describe('a 10 MB body on a gateway process (PUBLISH_MAX_BYTES 65536)', () => {
  let gateway: GatewayProcess;
  let token: string;

  beforeAll(async () => {
    gateway = await spawnGateway({});
    token = await mintToken({ publish: ['*'] });
    // Warm up the paths under test so their one-time costs are not counted below.
    await postLarge(`${gateway.url}/v1/publish`, token, 100 * 1024, { declareLength: true });
    await postLarge(`${gateway.url}/v1/publish`, token, 100 * 1024, { declareLength: false });
  });

  afterAll(async () => {
    await gateway.kill();
  });

  test.each([
    ['with a Content-Length', true],
    ['chunked, without a Content-Length', false],
  ])('is refused with 413 %s, and the gateway peak RSS grows by far less than 10 MB', async (_how, declareLength) => {
    const pid = gateway.child.pid!;
    const before = peakRss(pid);
    const answer = await postLarge(`${gateway.url}/v1/publish`, token, TEN_MB, { declareLength });
    const growth = peakRss(pid) - before;
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('payload_too_large');
    process.stdout.write(`10 MB body ${declareLength ? 'with' : 'without'} Content-Length: gateway VmHWM grew by ${(growth / 1024).toFixed(0)} KiB\n`);
    expect(growth).toBeLessThan(2 * 1024 * 1024);
    // The gateway still answers.
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  test('a 10 MB body with a bad token is answered 401 without being read either', async () => {
    const pid = gateway.child.pid!;
    const before = peakRss(pid);
    const answer = await postLarge(`${gateway.url}/v1/publish`, `${token}x`, TEN_MB, { declareLength: true });
    const growth = peakRss(pid) - before;
    expect(answer.status).toBe(401);
    process.stdout.write(`10 MB body with a bad token: gateway VmHWM grew by ${(growth / 1024).toFixed(0)} KiB\n`);
    expect(growth).toBeLessThan(2 * 1024 * 1024);
  });
});

// Shows the measurement above can fail: a gateway allowed to read 10 MB does grow by 10 MB or more.
test('control: with PUBLISH_MAX_BYTES above 10 MB the same body is read, and the peak RSS shows it', async () => {
  const gateway = await spawnGateway({ PUBLISH_MAX_BYTES: String(TEN_MB + 1) });
  try {
    const token = await mintToken({ publish: ['*'] });
    await postLarge(`${gateway.url}/v1/publish`, token, 100 * 1024, { declareLength: true });
    const before = peakRss(gateway.child.pid!);
    const answer = await postLarge(`${gateway.url}/v1/publish`, token, TEN_MB, { declareLength: true });
    const growth = peakRss(gateway.child.pid!) - before;
    process.stdout.write(`control, 10 MB body read: gateway VmHWM grew by ${(growth / 1024).toFixed(0)} KiB\n`);
    expect(answer.status).toBe(400); // whitespace only: not JSON
    expect(growth).toBeGreaterThan(TEN_MB);
  } finally {
    await gateway.kill();
  }
});

test('503 bus_unavailable when Redis is down, within the command timeout; 202 again once it is back', async () => {
  const redis = await startRedisServer();
  const gw = await startGateway({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix('publishdown') });
  try {
    const token = await mintToken({ publish: ['execution:*'] });
    const post = (): ReturnType<typeof httpJson> =>
      httpJson(`${gw.url}/v1/publish`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel: 'execution:down', type: 'execution.status', data: { executionId: 'down', status: 'running' } }),
      });
    expect((await post()).status).toBe(202);
    await redis.stop();
    const started = Date.now();
    const refused = await post();
    expect(refused.status).toBe(503);
    expect((refused.body as { error: { code: string } }).error.code).toBe('bus_unavailable');
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(6000);
    await redis.start();
    await waitFor(async () => (await post()).status === 202, { timeoutMs: 15000, intervalMs: 100, message: 'publish to succeed after Redis is back' });
  } finally {
    await gw.close();
    await redis.dispose();
  }
});
