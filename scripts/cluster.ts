// `npm run cluster`: the docker-compose.yml topology without Docker. Redis on a free port, three
// gateways (gateway/dist/main.js), the demo (its crew publishes into Redis; it serves the demo
// page), nginx in front with deploy/nginx/nginx.conf. Ctrl-C, SIGINT or SIGTERM (to this process
// or to the npm that runs it) stops everything it started, also while it is still starting.
//
//   npm run cluster                      # load balancer on :8080, demo page at /demo/
//   npm run cluster -- --port 9000 --gateways 5 --no-demo
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { startCluster, type LocalCluster } from '../deploy/local/cluster';

const USAGE = 'usage: npm run cluster -- [--port 8080] [--gateways 3] [--no-demo] [--quiet]';

function options(): { port: number; gateways: number; demo: boolean; quiet: boolean } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      gateways: { type: 'string', default: '3' },
      'no-demo': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  const gateways = Number(values.gateways);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(gateways) || gateways < 1) {
    console.error(USAGE);
    process.exit(2);
  }
  return { port, gateways, demo: !values['no-demo'], quiet: values.quiet };
}

function printSummary(cluster: LocalCluster): void {
  const lines = [
    '',
    `sse-gateway cluster: ${cluster.gateways.length} gateways behind nginx, Redis at ${cluster.redisUrl}`,
    `  load balancer   ${cluster.url}`,
    ...cluster.gateways.map((g) => `  ${g.name.padEnd(15)} ${g.url}   pid ${g.process.pid}`),
    cluster.demo === undefined
      ? '  demo            not started (no demo/run.ts in this checkout, or --no-demo)'
      : `  demo            pid ${cluster.demo.process.pid}: open ${cluster.url.replace('127.0.0.1', 'localhost')}/demo/`,
    '',
    `The JWT secret of this run is in ${cluster.secretFile}. A token, then a stream through the load balancer:`,
    `  TOKEN=$(JWT_SECRET="$(cat ${cluster.secretFile})" npm run -s token -- --sub you --subscribe 'execution:*' --publish 'execution:*')`,
    `  curl -N -H "Authorization: Bearer $TOKEN" '${cluster.url}/v1/stream?channel=execution:1'`,
    `Kill a gateway (kill <pid>) and watch the stream resume through another one. Ctrl-C stops everything.`,
    '',
  ];
  console.log(lines.join('\n'));
}

/** Fails early, with the option to change, when something already listens on the LB's port. */
function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () => reject(new Error(`port ${port} is in use: choose another with --port`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** A terminal's Ctrl-C arrives twice: from the terminal and forwarded by npm. A repeat this soon is that echo. */
const ECHO_MS = 1000;

/**
 * Stops the cluster on SIGINT, SIGTERM or SIGHUP: in order (load balancer, demo, gateways with
 * their drain, Redis) once it runs, or right after the step in progress while it starts. A second
 * signal (not the echo) kills everything at once.
 */
class Stopper {
  readonly abort = new AbortController();
  private cluster: LocalCluster | undefined;
  private firstAt: number | undefined;

  listen(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => this.onSignal(signal));
  }

  /** The cluster has started: stop it now if a signal came while it was starting. */
  started(cluster: LocalCluster): void {
    this.cluster = cluster;
    if (this.abort.signal.aborted) this.stop();
  }

  private onSignal(signal: NodeJS.Signals): void {
    const now = Date.now();
    if (this.firstAt === undefined) {
      this.firstAt = now;
      console.log(`[cluster] ${signal}: stopping the load balancer, the demo, the gateways (drain) and Redis`);
      this.abort.abort(new Error(`${signal} while starting`));
      this.stop();
    } else if (now - this.firstAt >= ECHO_MS) {
      const cluster = this.cluster;
      // While starting, only startCluster knows what runs: exiting now would orphan it.
      if (cluster === undefined) {
        console.log(`[cluster] ${signal} again: still stopping what had started`);
        return;
      }
      console.log(`[cluster] ${signal} again: killing everything at once`);
      for (const child of [...cluster.gateways.map((g) => g.process), cluster.lb, cluster.redis, cluster.demo?.process]) {
        if (child?.isRunning()) process.kill(child.pid, 'SIGKILL');
      }
      process.exit(1);
    }
  }

  private stop(): void {
    // Before start-up has finished, startCluster stops what it started and rejects (see main).
    this.cluster?.stop().then(() => process.exit(0), (error: unknown) => {
      console.error(`[cluster] stop failed: ${(error as Error).message}`);
      process.exit(1);
    });
  }
}

async function main(): Promise<void> {
  const { port, gateways, demo, quiet } = options();
  const stopper = new Stopper();
  stopper.listen();
  await checkPortFree(port);
  let cluster: LocalCluster;
  try {
    cluster = await startCluster({
      lbPort: port,
      gateways,
      demo,
      onLine: quiet ? undefined : (name, line) => console.log(`[${name}] ${line}`),
      signal: stopper.abort.signal,
    });
  } catch (error) {
    if (!stopper.abort.signal.aborted) throw error;
    console.log('[cluster] stopped what had started');
    process.exit(0);
  }
  printSummary(cluster);
  for (const child of [...cluster.gateways, cluster.demo].flatMap((g) => (g === undefined ? [] : [g.process]))) {
    void child.exited.then(({ code, signal }) => console.log(`[cluster] ${child.name} exited (${signal ?? `code ${code}`})`));
  }
  stopper.started(cluster);
}

main().catch((error: unknown) => {
  console.error(`[cluster] ${(error as Error).message}`);
  process.exit(1);
});
