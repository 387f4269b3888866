// The faults a soak injects, each run to its end (the system back to normal: every gateway ready)
// before the next; the orchestrator keeps their time windows to judge the errors clients saw.
import type { LocalCluster } from '../../deploy/local/cluster';
import { readComposeNginxConfig } from '../../deploy/local/nginx';
import type { Redis } from 'ioredis';
import type { FaultKind } from './status-rules';

export const ALL_FAULTS: readonly FaultKind[] = ['sigkill', 'pubsub-kill', 'hangups', 'redis-restart', 'rolling-restart'];

export interface FaultContext {
  cluster: LocalCluster;
  /** A connection for admin commands (it reconnects by itself after a Redis restart). */
  admin: Redis;
  /** Makes every client process open and drop `count` handshakes. */
  hangups(count: number): Promise<void>;
  /** Waits until every gateway answers /readyz with 200. */
  allReady(): Promise<void>;
  /** A gateway process is gone for good: forget its log. */
  gone(pid: number): void;
}

/** nginx's `fail_timeout` in the compose config (the longest of its servers), plus a second. */
export function loadBalancerFailTimeoutMs(conf = readComposeNginxConfig()): number {
  const seconds = [...conf.matchAll(/\bfail_timeout=(\d+)s\b/g)].map((m) => Number(m[1]));
  return (Math.max(0, ...seconds) + 1) * 1000;
}

/** Waits this long between killing a gateway and starting it again (clients move meanwhile). */
const DOWN_MS = 1500;
const HANGUPS_PER_PROCESS = 60;

let nextVictim = 0;

export async function runFault(kind: FaultKind, ctx: FaultContext): Promise<string> {
  const { cluster } = ctx;
  switch (kind) {
    case 'sigkill': {
      const victim = cluster.gateways[nextVictim++ % cluster.gateways.length]!;
      await victim.process.stop({ signal: 'SIGKILL' });
      ctx.gone(victim.process.pid);
      await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
      await cluster.restartGateway(victim.name);
      await ctx.allReady();
      return `SIGKILL ${victim.name} (pid ${victim.process.pid}), restarted after ${DOWN_MS} ms`;
    }
    case 'rolling-restart': {
      const codes: string[] = [];
      const settleMs = loadBalancerFailTimeoutMs();
      for (const [i, gateway] of [...cluster.gateways].entries()) {
        // The load balancer took the previous gateway out while it drained and restarted: it
        // tries it again only `fail_timeout` after its last failure. Draining the next one before
        // that leaves nginx with no live upstream, and every request gets a 502.
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
        const exit = await gateway.process.stop({ signal: 'SIGTERM' });
        ctx.gone(gateway.process.pid);
        codes.push(`${gateway.name} exit ${exit.signal ?? exit.code}`);
        await cluster.restartGateway(gateway.name);
        await ctx.allReady();
      }
      return `SIGTERM rolling restart, ${settleMs / 1000} s between gateways: ${codes.join(', ')}`;
    }
    case 'pubsub-kill': {
      const killed = await ctx.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await ctx.allReady();
      return `CLIENT KILL TYPE pubsub: ${String(killed)} connections`;
    }
    case 'redis-restart': {
      await cluster.restartRedis('SIGTERM');
      await ctx.allReady();
      return 'Redis stopped (SIGTERM, append-only file written) and started again on its data';
    }
    case 'hangups': {
      await ctx.hangups(HANGUPS_PER_PROCESS);
      return `${HANGUPS_PER_PROCESS} handshakes dropped per client process`;
    }
  }
}
