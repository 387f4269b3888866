// A private 3-master Redis Cluster on free loopback ports, for the SDK's Cluster path. Needs the
// redis-server and redis-cli binaries, and says so when they are missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/free-port';
import { hasRedisServerBinary, waitForPing } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';

export interface LocalCluster {
  readonly nodes: { host: string; port: number }[];
  dispose(): Promise<void>;
}

export async function startCluster(masters = 3): Promise<LocalCluster> {
  if (!hasRedisServerBinary()) throw new Error('the Redis Cluster tests need the redis-server and redis-cli binaries on the PATH (apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'sse-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: { host: string; port: number }[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus port is set explicitly: the default (port + 10000) may not exist.
      const [port, busPort] = [await freePort(), await freePort()];
      children.push(
        spawn('redis-server', ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' }),
      );
      nodes.push({ host: '127.0.0.1', port });
    }
    await Promise.all(nodes.map((n) => waitForPing(n.port)));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(nodes.map((n) => waitForClusterOk(n.port)));
    return { nodes, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function waitForClusterOk(port: number): Promise<void> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  try {
    await redis.connect();
    await waitFor(async () => (await redis.cluster('INFO')).includes('cluster_state:ok'), { message: `cluster state ok on ${port}` });
  } finally {
    await redis.quit();
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr}`))));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
