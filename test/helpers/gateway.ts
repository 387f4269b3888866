// Real gateways for tests: in this process (createGateway on a free port) or as child processes
// (`node gateway/dist/main.js`, built by `npm test`'s type-check step).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../gateway/src/config';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway/src/gateway';
import { createLogger } from '../../gateway/src/logger';
import { freePort } from './free-port';
import { TEST_JWT_SECRET } from './tokens';
import { waitFor } from './wait-for';

export const ROOT = join(__dirname, '..', '..');
export const GATEWAY_MAIN = join(ROOT, 'gateway', 'dist', 'main.js');

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  /** Every log line written so far (JSON strings). */
  readonly logs: string[];
  close(): Promise<void>;
}

/** Environment of a test gateway: HS256 test secret, port 0, quiet unless asked. */
export function gatewayEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env };
}

/** A gateway in this process. `env` as the gateway would read it (REDIS_URL, HEARTBEAT_MS…). */
export async function startGateway(env: Record<string, string | undefined> = {}, options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const config = loadConfig(gatewayEnv(env));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const gateway = createGateway(config, { logger: createLogger(config.logLevel, sink), ...options });
  const address = await gateway.listen();
  await waitFor(() => gateway.isReady(), { message: 'the gateway to be ready (bus connected)' });
  return {
    gateway,
    url: `http://127.0.0.1:${address.port}`,
    logs,
    close: () => gateway.shutdown(),
  };
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly logs: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts `node gateway/dist/main.js` on a free port (or `env.PORT`) and waits until it answers
 * /healthz, then (unless `ready: false`) /readyz. `nodeArgs` go to node (e.g. `--cpu-prof`).
 */
export async function spawnGateway(
  env: Record<string, string | undefined> = {},
  { timeoutMs = 15000, ready = true, nodeArgs = [] }: { timeoutMs?: number; ready?: boolean; nodeArgs?: string[] } = {},
): Promise<GatewayProcess> {
  const port = env['PORT'] !== undefined && env['PORT'] !== '0' ? Number(env['PORT']) : await freePort();
  const child = spawn(process.execPath, [...nodeArgs, GATEWAY_MAIN], {
    env: { PATH: process.env['PATH'], ...gatewayEnv(env), PORT: String(port) } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  lines(child.stdout, (line) => logs.push(line));
  lines(child.stderr, (line) => logs.push(line));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let gone: number | string | undefined;
  void exited.then((code) => (gone = code));
  const url = `http://127.0.0.1:${port}`;
  // True once the path answers 200, or once the process is gone (checked right after).
  const answers = (path: string) => async (): Promise<boolean> =>
    gone !== undefined || (await fetch(`${url}${path}`).catch(() => undefined))?.status === 200;
  const started = async (path: string): Promise<void> => {
    await waitFor(answers(path), { timeoutMs, message: `${url}${path}` });
    if (gone !== undefined) throw new Error(`gateway exited (${gone}) while starting`);
  };
  try {
    await started('/healthz');
    if (ready) await started('/readyz');
  } catch (error) {
    child.kill('SIGKILL'); // never leave a half-started gateway behind
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
  }
  return {
    child,
    url,
    port,
    logs,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = '';
  stream?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) if (part) onLine(part);
  });
}
