// Several gateways on one Redis with one JWT secret, each on its own port with no load balancer in
// front (the storm's clients pick the port): started together, and each one killed, stopped and
// restarted on its own port while the others serve.
import type { GatewayProcess } from './targets';
import { rssBytes, stopProcess } from './proc';

export interface Fleet {
  readonly ports: number[];
  readonly jwtSecret: string;
  /** The gateways' processes (for CPU time), the running ones. */
  pids(): number[];
  /** VmRSS of gateway i (0 while it is down). */
  rss(i: number): number;
  url(i: number): string;
  /** SIGKILL gateway i; resolves when it has exited. */
  kill(i: number): Promise<void>;
  /** Starts gateway i again on its port; resolves when it is ready. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

type StartGateway = (scenario: string, port: number) => Promise<GatewayProcess>;

export async function startFleet(count: number, start: StartGateway, jwtSecret: string, scenario = 'storm'): Promise<Fleet> {
  // Started together: each takes a second or two to load and connect to Redis.
  const starting = await Promise.allSettled(Array.from({ length: count }, (_, i) => start(`${scenario}-${i + 1}`, 0)));
  const gateways: (GatewayProcess | undefined)[] = starting.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  const failed = starting.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(gateways.map((g) => g && stopProcess(g.child)));
    throw failed.reason;
  }
  const ports = gateways.map((g) => g!.port);
  const down = async (i: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
    const gateway = gateways[i];
    gateways[i] = undefined;
    if (!gateway || gateway.child.exitCode !== null || gateway.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => gateway.child.once('exit', () => resolve()));
    gateway.child.kill(signal);
    const timer = setTimeout(() => gateway.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  let restarts = 0;
  return {
    ports,
    jwtSecret,
    pids: () => gateways.flatMap((g) => (g?.child.pid === undefined ? [] : [g.child.pid])),
    rss: (i) => (gateways[i]?.child.pid === undefined ? 0 : rssBytes(gateways[i]!.child.pid!)),
    url: (i) => `http://127.0.0.1:${ports[i]}`,
    kill: (i) => down(i, 'SIGKILL'),
    async restart(i) {
      await down(i, 'SIGTERM');
      gateways[i] = await start(`${scenario}-${i + 1}-restart-${++restarts}`, ports[i]!);
    },
    async stop() {
      await Promise.allSettled(gateways.map((_, i) => down(i, 'SIGTERM')));
    },
  };
}
