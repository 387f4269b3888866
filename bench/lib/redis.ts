// The benchmark's own redis-server on a free loopback port, without persistence, stopped at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './net';
import { stopProcess, track } from './proc';

export interface BenchRedis {
  url: string;
  port: number;
  pid: number;
  version: string;
  flush(): Promise<void>;
  /** Clients Redis closed over their output buffer limit (subscribers that fell behind), from its log. */
  outputBufferDisconnects(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error('redis-server is not on the PATH (apt-get install -y redis-server)');
  const version = /v=(\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sse-bench-redis-'));
  const child: ChildProcess = track(
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--loglevel', 'warning', '--logfile', join(dir, 'redis.log'), '--maxclients', '1000'], { stdio: 'ignore' }),
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined); // refused until the server listens; waitUntil reports a real failure
  await waitUntil(async () => {
    try {
      if (client.status !== 'ready') await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }, 10_000, 'redis-server did not answer PING');
  return {
    url,
    port,
    pid: child.pid ?? 0,
    version,
    async flush() {
      await client.flushall();
    },
    async outputBufferDisconnects() {
      // Redis 7.0 has no INFO counter for this (7.2 does); it logs each one at warning level.
      const log = existsSync(join(dir, 'redis.log')) ? readFileSync(join(dir, 'redis.log'), 'latin1') : '';
      return log.split('overcoming of output buffer limits').length - 1;
    },
    async stop() {
      await client.quit().catch(() => undefined);
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
