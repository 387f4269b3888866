// A private redis-server for the local topology: free port, its own data folder, append-only
// file like the compose Redis (history survives a Redis restart, also one on the same port and
// folder after a stop: `port`).
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { freePort } from './ports';
import { startProcess, ProcessStartError, type ManagedProcess, type StartProcessOptions } from './process';

export interface LocalRedis {
  url: string;
  port: number;
  process: ManagedProcess;
}

/** Starts redis-server on `atPort` (default: a free port) with its data in `dataDir`. */
export async function startRedis(dataDir: string, processOptions: StartProcessOptions = {}, atPort?: number): Promise<LocalRedis> {
  mkdirSync(dataDir, { recursive: true });
  const port = atPort ?? (await freePort());
  const child = startProcess('redis', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir,
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--loglevel', 'warning',
  ], processOptions);
  try {
    await waitUntil(() => ping(port), 10000, () => child.isRunning(), `redis-server on port ${port}`, child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, process: child };
}

/** Polls `check` (no event tells when a server starts accepting) until it is true. */
export async function waitUntil(
  check: () => Promise<boolean>, timeoutMs: number, alive: () => boolean, what: string, child: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (!alive()) throw new ProcessStartError(`${what} exited while starting:\n${child.recentOutput()}`);
    if (Date.now() > deadline) throw new ProcessStartError(`${what} did not start within ${timeoutMs} ms:\n${child.recentOutput()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One PING on 127.0.0.1:`port` over a raw socket: true when it answers PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
