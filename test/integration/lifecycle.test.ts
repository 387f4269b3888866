// The process around the gateway: start-up with and without configuration, and SIGTERM.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEventValidator } from '@sse-gateway/publisher/protocol';
import { SignJWT } from 'jose';
import { LISTEN_BACKLOG } from '../../gateway/src/gateway';
import { GATEWAY_MAIN, ROOT, spawnGateway, startGateway } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { httpJson, rawStream, SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const run = promisify(execFile);

/** Runs the gateway with exactly `env` (plus PATH) and returns how it ended when it stops by itself. */
async function failedStart(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [GATEWAY_MAIN], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 10000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe('start-up', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'sse-start-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  test('with no configuration it runs on the in-memory bus, and `npm run token` mints a token that opens a stream', async () => {
    const gateway = await spawnGateway({ JWT_SECRET: undefined, HOST: undefined, TMPDIR: home, PORT: '0' });
    try {
      const first = JSON.parse(gateway.logs[0] ?? '{}') as { message: string };
      expect(first.message).toMatch(/in-memory bus/);
      expect(gateway.logs.join('\n')).toMatch(/npm run token/);
      const { stdout } = await run(process.execPath, [join(ROOT, 'gateway/dist/cli/token.js'), '--sub', 'dev', '--subscribe', 'execution:*'], {
        env: { PATH: process.env['PATH'] ?? '', TMPDIR: home },
      });
      const token = stdout.trim();
      const stream = await rawStream(gateway.url, `/v1/stream?channel=execution:1&access_token=${token}`);
      expect(stream.response.statusCode).toBe(200);
      stream.close();
      expect(gateway.logs.join('\n')).not.toContain(token.split('.')[2]);
    } finally {
      await gateway.kill();
    }
  });

  test.each([
    ['NODE_ENV=production without a JWT key', { NODE_ENV: 'production' }, 'JWT_SECRET'],
    ['a malformed PORT', { PORT: 'eighty', JWT_SECRET: 'x'.repeat(32) }, 'PORT'],
    ['a malformed REDIS_URL', { REDIS_URL: 'localhost:6379', JWT_SECRET: 'x'.repeat(32) }, 'REDIS_URL'],
    ['a malformed JWT_PUBLIC_KEY', { JWT_PUBLIC_KEY: 'not a key' }, 'JWT_PUBLIC_KEY'],
    ['a short JWT_SECRET', { JWT_SECRET: 'short' }, 'JWT_SECRET'],
  ])('%s: exit 1 with one line naming the variable', async (_name, env, variable) => {
    const { code, stderr } = await failedStart({ ...env, TMPDIR: home });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });
});

/** Threads of a process (Linux): libuv starts its whole pool at the first job, here a token check. */
function threadCount(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

test('UV_THREADPOOL_SIZE sizes the pool that verifies public-key tokens (default 1, not libuv\'s 4: see config.ts)', async () => {
  // A public key's signature goes through jose's WebCrypto, a job on the pool (HS256 is checked inline).
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const token = await new SignJWT({ sse: { subscribe: ['*'] } }).setProtectedHeader({ alg: 'ES256' }).setSubject('pool').setExpirationTime('1h').sign(keys.privateKey);
  const threadsWith = async (size: string | undefined): Promise<number> => {
    const gateway = await spawnGateway({ JWT_SECRET: undefined, JWT_PUBLIC_KEY: publicKey, UV_THREADPOOL_SIZE: size });
    try {
      const stream = await rawStream(gateway.url, '/v1/stream?channel=execution:pool', { Authorization: `Bearer ${token}` });
      expect(stream.response.statusCode).toBe(200);
      stream.close();
      return threadCount(gateway.child.pid as number);
    } finally {
      await gateway.kill();
    }
  };
  const byDefault = await threadsWith(undefined);
  expect(await threadsWith('4')).toBe(byDefault + 3);
  expect(await threadsWith('1')).toBe(byDefault);
});

test('on the in-memory bus a client receives events published in the process', async () => {
  const gw = await startGateway({});
  const client = new SseClient(gw.url, { channels: ['execution:mem'], token: await mintToken() });
  try {
    await client.waitForOpen();
    const events = createEventValidator().prepare([
      { channel: 'execution:mem', type: 'execution.status', data: { executionId: 'm', status: 'running' } },
      { channel: 'execution:mem', type: 'execution.status', data: { executionId: 'm', status: 'succeeded' } },
    ]);
    const { ids } = await gw.gateway.bus.publish(events);
    expect((await client.waitForEvents(2)).map((e) => e.data.id)).toEqual(ids);
  } finally {
    client.close();
    await gw.close();
  }
});

test('SIGTERM: not ready at once, streams ended, exit 0 within SHUTDOWN_GRACE_MS', async () => {
  const gateway = await spawnGateway({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('term'), SHUTDOWN_GRACE_MS: '4000' });
  const token = await mintToken();
  const streams = await Promise.all(
    Array.from({ length: 20 }, () => rawStream(gateway.url, '/v1/stream?channel=execution:term', { Authorization: `Bearer ${token}` })),
  );
  try {
    expect((await httpJson(`${gateway.url}/readyz`)).status).toBe(200);
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    await waitFor(async () => (await httpJson(`${gateway.url}/readyz`)).status === 503, { intervalMs: 5, message: '/readyz 503' });
    const refused = await httpJson(`${gateway.url}/v1/stream?channel=execution:term`, { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const endedAt = await Promise.all(streams.map((s) => s.ended.then(() => Date.now())));
    for (const stream of streams) expect(stream.text().endsWith('\n\n')).toBe(true); // a clean end, not a cut mid-frame
    // Spread over a short window, so the clients don't all reconnect elsewhere in one instant.
    expect(Math.max(...endedAt) - Math.min(...endedAt)).toBeGreaterThanOrEqual(400);
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(4000);
  } finally {
    for (const stream of streams) stream.close();
    await gateway.kill('SIGKILL');
  }
});

test('the gateway listens with a backlog for reconnect storms, not Node\'s 511 (capped by net.core.somaxconn)', async () => {
  const gateway = await spawnGateway({});
  try {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    // For a listening socket, ss shows its backlog in Send-Q.
    const { stdout } = await run('ss', ['-ltnH', `sport = :${gateway.port}`]);
    const backlog = Number(stdout.trim().split(/\s+/)[2]);
    expect(backlog).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
    expect(backlog).toBeGreaterThan(511);
  } finally {
    await gateway.kill();
  }
});
