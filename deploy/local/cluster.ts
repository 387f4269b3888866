// The docker-compose.yml topology as local processes: Redis on a free port, N gateways, the demo
// (its crew publishes into Redis with the SDK; it serves the demo page), and nginx with the
// compose LB config in front of them. Used by `npm run cluster` (scripts/cluster.ts), by
// `npm run soak` (soak/, which also restarts gateways and Redis in place) and by
// test/deploy/cluster.test.ts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readComposeNginxConfig, renderNginxConfig, startNginx } from './nginx';
import { freePort } from './ports';
import { startProcess, type ManagedProcess } from './process';
import { startRedis, waitUntil, type LocalRedis } from './redis';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface ClusterOptions {
  /** Gateways behind the load balancer (default 3, like docker-compose.yml). */
  gateways?: number;
  /** The load balancer's port (0 or unset: a free port). */
  lbPort?: number;
  /** Start the demo (demo/run.ts) when the checkout has one (default true). */
  demo?: boolean;
  /** Extra gateway settings (docs/configuration.md), e.g. `{ RETRY_MS: '200' }`. */
  gatewayEnv?: Record<string, string>;
  /** Each output line of every process; default: dropped (see `recentOutput()` of each). */
  onLine?: (name: string, line: string, pid: number) => void;
  /**
   * Aborting it while the cluster starts stops what has started so far and rejects with the
   * signal's reason, after the step in progress (a few seconds at most).
   */
  signal?: AbortSignal;
}

export interface LocalGateway {
  name: string;
  port: number;
  url: string;
  process: ManagedProcess;
}

export interface LocalCluster {
  /** The load balancer: what clients use. */
  url: string;
  redisUrl: string;
  /** The HS256 secret of this run, in a file readable only by its owner. */
  secretFile: string;
  jwtSecret: string;
  gateways: LocalGateway[];
  lb: ManagedProcess;
  redis: ManagedProcess;
  /** The demo process (`npm run demo`'s, on Redis), served by the load balancer at /demo/. */
  demo: LocalGateway | undefined;
  /**
   * Starts gateway `name` again, once its process has exited, on the same port with the same
   * settings (the load balancer's upstream stays valid); replaces its entry in `gateways`.
   */
  restartGateway(name: string): Promise<LocalGateway>;
  /**
   * Stops Redis with `signal` (default SIGTERM: it writes its append-only file first) and starts it
   * again on the same port with the same data folder; replaces `redis`.
   */
  restartRedis(signal?: NodeJS.Signals): Promise<void>;
  /** Stops everything it started (load balancer, demo, gateways, Redis) and removes its files. */
  stop(): Promise<void>;
}

/** `npm run demo`'s process, from its TypeScript source (it imports the gateway's sources). */
function demoCommand(root = REPO_ROOT): string[] | undefined {
  const source = join(root, 'demo', 'run.ts');
  return existsSync(source) ? [process.execPath, '--import', 'tsx', source] : undefined;
}

/** Only what a container would have: no inherited REDIS_URL, JWT_* or other gateway settings. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
}

export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const workDir = mkdtempSync(join(tmpdir(), 'sse-cluster-'));
  const started: ManagedProcess[] = [];
  const processOptions = { onLine: options.onLine };
  const jwtSecret = randomBytes(32).toString('hex');
  const secretFile = join(workDir, 'jwt-secret');
  writeFileSync(secretFile, jwtSecret, { mode: 0o600 });
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => (stopping ??= (async () => {
    // Reverse order of start: nothing is left without what it depends on while it stops.
    for (const child of [...started].reverse()) await child.stop();
    rmSync(workDir, { recursive: true, force: true });
  })());
  try {
    options.signal?.throwIfAborted();
    const redisDir = join(workDir, 'redis');
    const redis: LocalRedis = await startRedis(redisDir, processOptions);
    started.push(redis.process);
    options.signal?.throwIfAborted();
    const env = { ...baseEnv(), NODE_ENV: 'production', REDIS_URL: redis.url, JWT_SECRET: jwtSecret, LOG_LEVEL: 'info', ...options.gatewayEnv };
    const gatewayMain = [process.execPath, join(REPO_ROOT, 'gateway', 'dist', 'main.js')];
    const demo = options.demo === false ? undefined : demoCommand();
    const results = await Promise.allSettled([
      ...Array.from({ length: options.gateways ?? 3 }, (_, i) => startGateway(`gateway-${i + 1}`, gatewayMain, env, processOptions)),
      ...(demo === undefined ? [] : [startGateway('demo', demo, { ...env, LOG_LEVEL: 'warn' }, processOptions)]),
    ]);
    const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    started.push(...running.map((g) => g.process));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    options.signal?.throwIfAborted();
    const gateways = running.filter((g) => g.name !== 'demo');
    const demoProcess = running.find((g) => g.name === 'demo');
    const lbPort = options.lbPort || (await freePort());
    const local = (port: number): { host: string; port: number } => ({ host: '127.0.0.1', port });
    const conf = renderNginxConfig(readComposeNginxConfig(), {
      listenPort: lbPort,
      // Without the demo, /demo/ points at a port nothing listens on: 502.
      upstreams: { sse_gateways: gateways.map((g) => local(g.port)), demo: [local(demoProcess?.port ?? (await freePort()))] },
      workDir: join(workDir, 'nginx'),
    });
    const lb = startNginx(conf, join(workDir, 'nginx'), processOptions);
    started.push(lb);
    const url = `http://127.0.0.1:${lbPort}`;
    await waitUntil(() => isOk(`${url}/readyz`), 10000, () => lb.isRunning(), `nginx on port ${lbPort}`, lb);
    options.signal?.throwIfAborted();
    const replace = (old: ManagedProcess, next: ManagedProcess): void => {
      started.splice(started.indexOf(old), 1, next);
    };
    const cluster: LocalCluster = {
      url, redisUrl: redis.url, secretFile, jwtSecret, gateways, lb, redis: redis.process, demo: demoProcess, stop: stopAll,
      async restartGateway(name) {
        const index = gateways.findIndex((g) => g.name === name);
        const old = gateways[index];
        if (old === undefined) throw new Error(`no gateway named ${name}`);
        if (old.process.isRunning()) throw new Error(`${name} still runs: stop it first`);
        const next = await startGateway(name, gatewayMain, env, processOptions, old.port);
        replace(old.process, next.process);
        gateways[index] = next;
        return next;
      },
      async restartRedis(signal = 'SIGTERM') {
        const old = cluster.redis;
        await old.stop({ signal });
        const next = await startRedis(redisDir, processOptions, redis.port);
        replace(old, next.process);
        cluster.redis = next.process;
      },
    };
    return cluster;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A process that serves the gateway's HTTP API (a gateway, or the demo) on a free port, once ready. */
async function startGateway(
  name: string, command: string[], env: NodeJS.ProcessEnv, processOptions: { onLine?: (name: string, line: string, pid: number) => void }, atPort?: number,
): Promise<LocalGateway> {
  const port = atPort ?? (await freePort());
  const child = startProcess(name, command[0]!, command.slice(1), { ...processOptions, cwd: REPO_ROOT, env: { ...env, PORT: String(port), HOST: '127.0.0.1' } });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(() => isOk(`${url}/readyz`), 30000, () => child.isRunning(), `${name} (${command.slice(1).join(' ')}; built with npm run build?)`, child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { name, port, url, process: child };
}

async function isOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
