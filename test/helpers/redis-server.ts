// Real Redis servers for tests: a redis-server binary on the PATH when there is one, else a
// container via testcontainers. Never a mock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ping } from '../../deploy/local/redis';
import { freePort } from './free-port';
import { scratchDir } from './scratch';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM, or SIGKILL with `kill`). Its data survives a restart only with `persist`. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it for good and removes its data folder. */
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  /** Keep data across restarts (AOF with fsync always). */
  persist?: boolean;
}

export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a private Redis on a free loopback port: a redis-server process, else a container. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  return hasRedisServerBinary() ? startRedisProcess(options) : startRedisContainer();
}

async function startRedisProcess(options: RedisServerOptions): Promise<RedisServer> {
  const port = await freePort();
  const dir = scratchDir('redis');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--pidfile', join(dir, 'redis.pid'), '--save', '', '--loglevel', 'warning',
    '--appendonly', options.persist ? 'yes' : 'no', '--appendfsync', 'always'];
  let child: ChildProcess | undefined;
  const stop = async ({ kill = false } = {}): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(kill ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForPing(port);
    },
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function startRedisContainer(): Promise<RedisServer> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7.0').start();
  return {
    url: container.getConnectionUrl(),
    port: container.getPort(),
    async start() {
      throw new Error('restarting a containerised test Redis is not supported: install redis-server');
    },
    async stop() {
      await container.stop();
    },
    async dispose() {
      await container.stop();
    },
  };
}

/** Resolves when a PING on `port` answers PONG (within `timeoutMs`). */
export async function waitForPing(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ping(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
