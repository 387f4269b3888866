// The servers under test, behind one interface: the gateway (one Node process, Redis bus, JWT)
// and Nchan (nginx with 2 workers and Redis storage). Each is started fresh for every scenario.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PublishMode, StreamTarget } from './messages';
import { freePort, httpGet, waitUntil } from './net';
import { childPids, onKillAll, rssBytes, stopProcess, track } from './proc';
import type { BenchRedis } from './redis';
import { startFleet, type Fleet } from './fleet';
import { mintToken } from './token';

const ROOT = resolve(__dirname, '..', '..');
export const SCHEMAS_DIR = resolve(__dirname, '..', 'schemas');
const LOOPBACK_HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

type TargetName = 'gateway' | 'nchan' | 'bare';

export interface Target {
  readonly name: TargetName;
  readonly version: string;
  start(scenario: string): Promise<void>;
  stop(): Promise<void>;
  /** The server's processes (for CPU time and memory). */
  pids(): number[];
  rss(): number;
  /** Connections the server itself counts as open streams, when it says. */
  serverConnections(): Promise<number | undefined>;
  stream(): StreamTarget;
  /** The server's own view (gateway: Prometheus default metrics), when it offers one. */
  serverStats?(): Promise<ServerStats | undefined>;
  /** The publish paths to run, and what a publisher needs to use them. */
  publishPaths(): Promise<{ mode: PublishMode; baseUrl: string; token?: string }[]>;
  /** A value of the server's own metrics (gateway: /metrics), for the gateway-only scenarios. */
  metric?(name: string): Promise<number | undefined>;
  /** Several gateways on one Redis, for the storm (gateway only). */
  fleet?(count: number, scenario: string): Promise<Fleet>;
}

/** From the gateway's /metrics: cumulative GC seconds by kind, and event-loop lag since the last scrape. */
export interface ServerStats {
  gcSeconds: Record<string, number>;
  eventLoopLagMaxMs: number;
  eventLoopLagP99Ms: number;
}

function parseServerStats(body: string): ServerStats {
  const gcSeconds: Record<string, number> = {};
  for (const match of body.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} ([\d.e+-]+)$/gm)) gcSeconds[match[1]!] = Number(match[2]);
  const gauge = (name: string): number => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(body)?.[1] ?? Number.NaN) * 1000;
  return { gcSeconds, eventLoopLagMaxMs: gauge('nodejs_eventloop_lag_max_seconds'), eventLoopLagP99Ms: gauge('nodejs_eventloop_lag_p99_seconds') };
}

interface GatewayOptions {
  redis: BenchRedis;
  /** Folder for `--cpu-prof` output; no profiling when undefined. */
  profileDir?: string;
  /** Also publish over POST /v1/publish (when the gateway has it). */
  httpPublish: boolean;
  /** The gateway's stdout and stderr go here (warnings only: LOG_LEVEL=warn), not over the progress bar. */
  logFile: string;
}

/** One gateway process as the benchmark runs it (NODE_ENV=production, Redis bus, its own JWT secret). */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
}

/** Starts a gateway on `port` (0: a free one) and waits until /readyz answers 200. */
async function startGateway(options: GatewayOptions, secret: string, scenario: string, port = 0): Promise<GatewayProcess> {
  const entry = join(ROOT, 'gateway', 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error('gateway/dist/main.js is missing: run `npx tsc -b` (npm run bench does)');
  const listen = port === 0 ? await freePort() : port;
  const log = openSync(options.logFile, 'a');
  writeSync(log, `--- ${new Date().toISOString()} gateway for ${scenario}\n`);
  const profile = options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=gateway-${scenario}.cpuprofile`];
  const child = track(
    spawn(process.execPath, [...profile, entry], {
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(listen),
        HOST: '0.0.0.0',
        REDIS_URL: options.redis.url,
        JWT_SECRET: secret,
        SCHEMAS_DIR,
        MAX_CONNECTIONS: '100000',
        MAX_CONNECTIONS_PER_SUBJECT: '100000',
        HISTORY_MAXLEN: '100', // as nchan_message_buffer_length
        SHUTDOWN_GRACE_MS: '5000',
        LOG_LEVEL: 'warn',
      },
    }),
  );
  closeSync(log); // the child has its own copy
  const url = `http://127.0.0.1:${listen}`;
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`the gateway exited with code ${child.exitCode} at start-up (see ${options.logFile})`);
    return (await httpGet(`${url}/readyz`)).status === 200;
  }, 20_000, 'the gateway did not become ready in 20 s');
  return { child, port: listen, url };
}

/** A counter or gauge of the gateway's /metrics (first sample of that name), undefined when absent. */
async function gatewayMetric(url: string, name: string): Promise<number | undefined> {
  const { status, body } = await httpGet(`${url}/metrics`);
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(body);
  return status === 200 && match ? Number(match[1]) : undefined;
}

export function gatewayTarget(options: GatewayOptions): Target {
  const secret = `bench-${Math.random().toString(36).slice(2)}-${'s'.repeat(32)}`;
  let child: ChildProcess | undefined;
  let port = 0;
  const base = (): string => `http://127.0.0.1:${port}`;
  return {
    name: 'gateway',
    version: `sse-gateway (node ${process.version})`,
    async start(scenario) {
      const started = await startGateway(options, secret, scenario);
      child = started.child;
      port = started.port;
    },
    fleet: (count, scenario) => startFleet(count, (name, port) => startGateway(options, secret, name, port), secret),
    metric: (name) => gatewayMetric(base(), name),
    async stop() {
      if (child) await stopProcess(child, 10_000);
      child = undefined;
    },
    pids: () => (child?.pid === undefined ? [] : [child.pid]),
    rss: () => (child?.pid === undefined ? 0 : rssBytes(child.pid)),
    serverConnections: () => gatewayMetric(base(), 'sse_connections'),
    async serverStats() {
      const { status, body } = await httpGet(`${base()}/metrics`);
      return status === 200 ? parseServerStats(body) : undefined;
    },
    stream: () => ({ kind: 'gateway', hosts: LOOPBACK_HOSTS, port, jwtSecret: secret }),
    async publishPaths() {
      const paths: { mode: PublishMode; baseUrl: string; token?: string }[] = [{ mode: 'sdk', baseUrl: base() }];
      if (!options.httpPublish) return paths;
      const token = mintToken(secret, { sub: 'bench-publisher', publish: ['bench-*'], ttlS: 7200 });
      const probe = await fetch(`${base()}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '[]' }).catch(() => undefined);
      if (probe === undefined || probe.status === 404 || probe.status === 405) {
        httpPublishNote = `POST /v1/publish is not available on this gateway (${probe ? `HTTP ${probe.status}` : 'no answer'}): HTTP publishing skipped`;
        return paths;
      }
      await probe.text();
      return [...paths, { mode: 'gateway-http', baseUrl: base(), token }];
    },
  };
}

/** Set when the gateway's HTTP publish path was skipped, for the report. */
export let httpPublishNote: string | undefined;

const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
export const NCHAN_INSTALL = 'apt-get install -y nginx-light libnginx-mod-nchan';

/** Why Nchan cannot run here, or undefined when nginx and the module are installed. */
export function nchanMissing(): string | undefined {
  const nginx = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (nginx.error !== undefined || nginx.status !== 0) return `nginx is not installed (${NCHAN_INSTALL})`;
  if (!existsSync(NCHAN_MODULE)) return `the Nchan module ${NCHAN_MODULE} is missing (${NCHAN_INSTALL})`;
  return undefined;
}

function nchanVersion(): string {
  const nginx = /nginx\/(\S+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? '?';
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libnginx-mod-nchan'], { encoding: 'utf8' });
  const nchan = /:?(\d+\.\d+\.\d+)/.exec(dpkg.stdout ?? '')?.[1] ?? '?';
  return `Nchan ${nchan} on nginx ${nginx}, 2 workers`;
}

function nginxConf(dir: string, port: number, redisUrl: string): string {
  const root = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `# Generated by bench/lib/targets.ts for one benchmark run.
load_module ${NCHAN_MODULE};
${root}worker_processes 2;
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 20000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream bench_redis { nchan_redis_server "${redisUrl}"; }
  # Nchan keeps messages in shared memory too, until nchan_message_timeout: the default 128M fills
  # up in the channels scenario ("ngx_slab_alloc() failed: no memory") and delivery stops.
  nchan_shared_memory_size 1024M;
  server {
    listen ${port};
    location = /sub {
      nchan_subscriber eventsource;
      nchan_channel_id $arg_channel;
      nchan_redis_pass bench_redis;
    }
    location = /pub {
      nchan_publisher http;
      nchan_channel_id $arg_channel;
      nchan_redis_pass bench_redis;
      nchan_message_buffer_length 100;
      nchan_message_timeout 1h;
    }
    location = /nchan_status { nchan_stub_status; }
  }
}
`;
}

/** `logFile`: nginx's error log of every scenario is appended here when nginx stops. */
export function nchanTarget(redis: BenchRedis, logFile: string): Target {
  let child: ChildProcess | undefined;
  let dir = '';
  let port = 0;
  let workers: number[] = [];
  let forgetWorkers: () => void = () => undefined;
  let scenarioTag = '';
  const base = (): string => `http://127.0.0.1:${port}`;
  const version = nchanVersion();
  return {
    name: 'nchan',
    version,
    async start(scenario) {
      scenarioTag = scenario;
      port = await freePort();
      dir = mkdtempSync(join(tmpdir(), 'sse-bench-nginx-'));
      for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
      writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port, redis.url));
      child = track(spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] }));
      const started = child;
      await waitUntil(async () => {
        if (started.exitCode !== null) throw new Error(`nginx exited with code ${started.exitCode} at start-up (see ${dir}/error.log)`);
        return (await httpGet(`${base()}/nchan_status`)).status === 200;
      }, 20_000, 'nginx did not answer in 20 s');
      await waitUntil(() => childPids(started.pid ?? 0).length >= 2, 5000, 'nginx workers did not start');
      workers = childPids(started.pid ?? 0);
      forgetWorkers = onKillAll(() => workers.forEach((pid) => process.kill(pid, 'SIGKILL')));
    },
    async stop() {
      if (child) await stopProcess(child, 10_000);
      forgetWorkers();
      child = undefined;
      workers = [];
      if (dir !== '') {
        const errors = join(dir, 'error.log');
        if (existsSync(errors)) appendFileSync(logFile, `--- ${new Date().toISOString()} nginx ${scenarioTag}\n${readFileSync(errors, 'latin1')}`);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    pids: () => (child?.pid === undefined ? [] : [child.pid, ...workers]),
    rss() {
      return this.pids().reduce((sum, pid) => sum + rssBytes(pid), 0);
    },
    async serverConnections() {
      const { status, body } = await httpGet(`${base()}/nchan_status`);
      const match = /^subscribers: (\d+)/m.exec(body);
      return status === 200 && match ? Number(match[1]) : undefined;
    },
    stream: () => ({ kind: 'nchan', hosts: LOOPBACK_HOSTS, port }),
    publishPaths: async () => [{ mode: 'nchan-http', baseUrl: base() }],
  };
}

/** The bare node:http fan-out (bench/lib/bare-server.ts): the ceiling of one naive Node process. */
export function bareTarget(): Target {
  let child: ChildProcess | undefined;
  let port = 0;
  const base = (): string => `http://127.0.0.1:${port}`;
  return {
    name: 'bare',
    version: `bare node:http fan-out (node ${process.version}, res.write per client, no auth, no Redis)`,
    async start() {
      port = await freePort();
      child = track(spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'bare-server.ts')], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, PORT: String(port) },
      }));
      const started = child;
      await waitUntil(async () => {
        if (started.exitCode !== null) throw new Error(`the bare server exited with code ${started.exitCode}`);
        return (await httpGet(`${base()}/status`)).status === 200;
      }, 20_000, 'the bare server did not answer in 20 s');
    },
    async stop() {
      if (child) await stopProcess(child, 5000);
      child = undefined;
    },
    pids: () => (child?.pid === undefined ? [] : [child.pid]),
    rss: () => (child?.pid === undefined ? 0 : rssBytes(child.pid)),
    async serverConnections() {
      const { status, body } = await httpGet(`${base()}/status`);
      const match = /^subscribers: (\d+)/m.exec(body);
      return status === 200 && match ? Number(match[1]) : undefined;
    },
    // Same URLs as Nchan: the load client and publisher treat it as Nchan.
    stream: () => ({ kind: 'nchan', hosts: LOOPBACK_HOSTS, port }),
    publishPaths: async () => [{ mode: 'nchan-http', baseUrl: base() }],
  };
}
