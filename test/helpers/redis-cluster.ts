// A real local Redis Cluster for tests: three masters (redis-server --cluster-enabled yes) on free
// ports, joined by `redis-cli --cluster create … --cluster-replicas 0`. No replicas, no persistence.
// Needs the redis-server and redis-cli binaries, and says so when they are missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { freePort } from './free-port';
import { hasRedisServerBinary, waitForPing } from './redis-server';
import { scratchDir } from './scratch';
import { waitFor } from './wait-for';

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisClusterServer {
  readonly nodes: RedisClusterNode[];
  /** A plain client for assertions (sharded pub/sub enabled); close it with `quit()`. */
  connect(): Cluster;
  dispose(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterServer> {
  if (!hasRedisServerBinary()) throw new Error('the Redis Cluster tests need the redis-server and redis-cli binaries on the PATH (apt-get install redis-server)');
  const dir = scratchDir('cluster');
  const children: ChildProcess[] = [];
  const nodes: RedisClusterNode[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      // The cluster bus port is set explicitly: the default (port + 10000) may be taken or past 65535.
      const [port, busPort] = [await freePort(), await freePort()];
      children.push(spawnNode(port, busPort, dir));
      nodes.push({ host: '127.0.0.1', port });
    }
    await Promise.all(nodes.map((node) => waitForPing(node.port)));
    createCluster(nodes);
    await waitForClusterOk(nodes);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { nodes, connect: () => new Cluster(nodes, { shardedSubscribers: true }), dispose };
}

function spawnNode(port: number, busPort: number, dir: string): ChildProcess {
  const args = ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir,
    '--pidfile', join(dir, `redis-${port}.pid`), '--save', '', '--appendonly', 'no',
    '--loglevel', 'warning', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
    '--cluster-node-timeout', '2000'];
  return spawn('redis-server', args, { stdio: 'ignore' });
}

function createCluster(nodes: RedisClusterNode[]): void {
  const addresses = nodes.map((node) => `${node.host}:${node.port}`);
  const result = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (result.status !== 0) throw new Error(`redis-cli --cluster create failed: ${result.stderr || result.stdout}`);
}

/** Every node reports cluster_state:ok (slots are assigned and gossip has converged). */
async function waitForClusterOk(nodes: RedisClusterNode[]): Promise<void> {
  await waitFor(() => nodes.every((node) => clusterInfo(node).includes('cluster_state:ok')), {
    timeoutMs: 20000,
    intervalMs: 100,
    message: 'cluster_state:ok on every node',
  });
}

function clusterInfo(node: RedisClusterNode): string {
  const result = spawnSync('redis-cli', ['-h', node.host, '-p', String(node.port), 'cluster', 'info'], { encoding: 'utf8' });
  return result.stdout ?? '';
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * A cluster for the calling test file: started before its tests, stopped after them. The returned
 * function gives it to a test (and says so when it did not start).
 */
export function clusterPerFile(): () => RedisClusterServer {
  let cluster: RedisClusterServer | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60000); // three redis-server processes and the cluster's own handshake
  afterAll(async () => {
    await cluster?.dispose();
  });
  return () => {
    if (cluster === undefined) throw new Error('the Redis Cluster did not start');
    return cluster;
  };
}
